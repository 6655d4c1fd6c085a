import t from 'tap';
import { TokenBucket } from './token-bucket.js';

t.test('a full bucket gives its burst at once, then one token per 1/rate seconds', async (t) => {
  let now = 0;
  const bucket = new TokenBucket(10, 3, () => now);
  t.same([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
  now = 99;
  t.notOk(bucket.take(), 'not yet a whole token');
  now = 100;
  t.ok(bucket.take(), 'a token after 100 ms at 10 a second');
  t.notOk(bucket.take());
});

t.test('saving up stops at the burst', async (t) => {
  let now = 0;
  const bucket = new TokenBucket(10, 2, () => now);
  bucket.take();
  bucket.take();
  now = 60_000;
  t.same([bucket.take(), bucket.take(), bucket.take()], [true, true, false]);
});

t.test('a bucket that could never give is refused', async (t) => {
  t.throws(() => new TokenBucket(0, 1), RangeError);
  t.throws(() => new TokenBucket(1, 0), RangeError);
});

t.test('available, full and msUntilAvailable look without taking', async (t) => {
  let now = 0;
  const bucket = new TokenBucket(2, 2, () => now);
  t.ok(bucket.full());
  t.ok(bucket.available());
  t.ok(bucket.available(), 'looking took nothing');
  bucket.take();
  t.notOk(bucket.full());
  bucket.take();
  t.notOk(bucket.available());
  t.equal(bucket.msUntilAvailable(), 500, 'half a second to a token at 2 a second');
  now = 250;
  t.equal(bucket.msUntilAvailable(), 250);
  now = 1000;
  t.equal(bucket.msUntilAvailable(), 0);
  t.ok(bucket.full(), 'saved back up to the burst');
});

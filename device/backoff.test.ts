import t from 'tap';
import { Backoff } from './backoff.js';

t.test('delays double up to the ceiling and stay within [ceiling/2, ceiling]', async (t) => {
  const low = new Backoff(100, 1000, () => 0);
  t.same([1, 2, 3, 4, 5, 6].map(() => low.next()), [50, 100, 200, 400, 500, 500]);
  const high = new Backoff(100, 1000, () => 0.999999);
  t.same([1, 2, 3, 4, 5].map(() => high.next()), [100, 200, 400, 800, 1000]);
});

t.test('reset starts again from the initial delay', async (t) => {
  const b = new Backoff(100, 1000, () => 0);
  b.next();
  b.next();
  b.reset();
  t.equal(b.next(), 50);
});

t.test('longest is near the maximum, whatever the attempt', async (t) => {
  t.equal(new Backoff(100, 1000, () => 0).longest(), 500);
  t.equal(new Backoff(100, 1000, () => 1).longest(), 1000);
});

t.test('jitter spreads a fleet: 100 devices do not all pick the same delay', async (t) => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const delays = new Set(Array.from({ length: 100 }, () => new Backoff(1000, 30000, random).next()));
  t.ok(delays.size > 50, `${delays.size} distinct delays`);
});

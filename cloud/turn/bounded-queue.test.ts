import t from 'tap';
import { BoundedQueue } from './bounded-queue.js';

t.test('items come out in order and the iteration ends after end()', async (t) => {
  const q = new BoundedQueue<number>(3);
  t.ok(q.push(1));
  t.ok(q.push(2));
  q.end();
  const seen: number[] = [];
  for await (const n of q) seen.push(n);
  t.same(seen, [1, 2]);
});

t.test('push refuses past capacity and after end', async (t) => {
  const q = new BoundedQueue<number>(2);
  t.ok(q.push(1));
  t.ok(q.push(2));
  t.notOk(q.push(3));
  q.end();
  t.notOk(q.push(4));
  t.equal(q.length, 2);
});

t.test('a waiting reader wakes on push', async (t) => {
  const q = new BoundedQueue<string>(1);
  const reading = (async () => {
    const seen: string[] = [];
    for await (const s of q) seen.push(s);
    return seen;
  })();
  await Promise.resolve();
  q.push('a');
  await new Promise((r) => setImmediate(r));
  q.push('b');
  q.end();
  t.same(await reading, ['a', 'b']);
});

t.test('whenWritable waits for the reader to make room', async (t) => {
  const q = new BoundedQueue<number>(1);
  q.push(1);
  let writable = false;
  const waiting = q.whenWritable().then(() => (writable = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(writable);
  const it = q[Symbol.asyncIterator]();
  t.same(await it.next(), { value: 1, done: false });
  await waiting;
  t.ok(writable);
});

t.test('fail ends the reader with the error', async (t) => {
  const q = new BoundedQueue<number>(2);
  q.push(1);
  q.fail(new Error('cut'));
  await t.rejects(async () => {
    for await (const _ of q) void _;
  }, /cut/);
});

t.test('capacity must be positive', async (t) => {
  t.throws(() => new BoundedQueue(0), RangeError);
});

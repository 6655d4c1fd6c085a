import t from 'tap';
import { BoundedQueue } from './bounded-queue.js';
import { startAhead } from './start-ahead.js';

t.test('starts the next item while the consumer still holds the one before', async (t) => {
  const source = new BoundedQueue<string>(10);
  for (const item of ['a', 'b', 'c']) source.push(item);
  source.end();
  const started: string[] = [];
  const seen: string[][] = [];
  for await (const handle of startAhead(source, (item) => (started.push(item), item.toUpperCase()), { depth: 1 })) {
    // Let the reader run as far as it may.
    await new Promise((r) => setImmediate(r));
    seen.push([handle, ...started]);
  }
  t.same(seen, [
    ['A', 'a', 'b'],
    ['B', 'a', 'b', 'c'],
    ['C', 'a', 'b', 'c'],
  ], 'one item ahead, never two');
});

t.test('passes the index, and a consumer that stops early starts nothing more', async (t) => {
  const source = new BoundedQueue<number>(10);
  for (const item of [10, 20, 30, 40]) source.push(item);
  source.end();
  const started: number[] = [];
  for await (const handle of startAhead(source, (item, index) => (started.push(item), `${index}:${item}`), { depth: 1 })) {
    await new Promise((r) => setImmediate(r));
    t.equal(handle, '0:10');
    break;
  }
  await new Promise((r) => setImmediate(r));
  t.same(started, [10, 20], 'the first and the one ahead of it, nothing after');
});

t.test("the source's failure reaches the consumer after the items started before it", async (t) => {
  const source = new BoundedQueue<string>(10);
  source.push('a');
  source.push('b');
  const got: string[] = [];
  const reading = (async () => {
    for await (const handle of startAhead(source, (item) => item, { depth: 1 })) {
      got.push(handle);
      await new Promise((r) => setImmediate(r));
      if (handle === 'a') source.fail(new Error('model went away'));
    }
  })();
  await t.rejects(reading, /model went away/);
  t.same(got, ['a', 'b'], 'b had started before the failure and is still spoken');
});

t.test('an empty source gives nothing', async (t) => {
  const source = new BoundedQueue<string>(1);
  source.end();
  const got: string[] = [];
  for await (const handle of startAhead(source, (item) => item, { depth: 1 })) got.push(handle);
  t.same(got, []);
});

import t from 'tap';
import { RetryLoop, asStoreError } from './retry-loop.js';
import { ProviderError } from '../providers/provider-error.js';

/** A schedule the test runs by hand, remembering the waits asked for. */
function manual() {
  const due: { run: () => void; delayMs: number; cancelled: boolean }[] = [];
  const schedule = (run: () => void, delayMs: number) => {
    const entry = { run, delayMs, cancelled: false };
    due.push(entry);
    return () => void (entry.cancelled = true);
  };
  return { due, schedule };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

t.test('runs again while something waits, after a wait that doubles to its cap, one run at a time', async (t) => {
  const clock = manual();
  let waiting = 3;
  let runs = 0;
  const loop = new RetryLoop(async () => void (runs++, waiting--), () => waiting > 0, { minMs: 100, maxMs: 300, schedule: clock.schedule });
  loop.later();
  loop.later();
  t.equal(clock.due.length, 1, 'one run scheduled, however often asked');
  for (let i = 0; i < 3; i++) {
    clock.due[i]!.run();
    await settle();
  }
  t.same(clock.due.map((d) => d.delayMs), [100, 200, 300], 'doubling, then the cap');
  t.equal(runs, 3);
  t.equal(waiting, 0);
  loop.succeeded();
  waiting = 1;
  loop.later();
  t.equal(clock.due.at(-1)!.delayMs, 100, 'a success brings the wait back');
});

t.test('stop cancels what is scheduled and holds new runs until resume', async (t) => {
  const clock = manual();
  const loop = new RetryLoop(async () => {}, () => false, { minMs: 10, maxMs: 10, schedule: clock.schedule });
  loop.later();
  await loop.stop();
  t.ok(clock.due[0]!.cancelled);
  loop.later();
  t.equal(clock.due.length, 1, 'nothing scheduled while stopped');
  loop.resume();
  loop.later();
  t.equal(clock.due.length, 2);
});

t.test('an unknown throw becomes an error that does not promise a retry', async (t) => {
  t.match(asStoreError(new Error('disk I/O error')), { code: 'store_failed', retryable: false, message: 'disk I/O error' });
  const known = new ProviderError('store_busy', 'busy', { retryable: true });
  t.equal(asStoreError(known), known);
});

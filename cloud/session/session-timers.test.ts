import t from 'tap';
import { SessionTimers, type Schedule } from './session-timers.js';

/** A schedule the test moves by hand. */
function manual() {
  let now = 0;
  const pending = new Set<{ at: number; run: () => void }>();
  const schedule: Schedule = (run, delayMs) => {
    const entry = { at: now + delayMs, run };
    pending.add(entry);
    return () => pending.delete(entry);
  };
  const advance = (ms: number) => {
    now += ms;
    for (const entry of [...pending].sort((a, b) => a.at - b.at)) {
      if (entry.at > now || !pending.has(entry)) continue;
      pending.delete(entry);
      entry.run();
    }
  };
  return { schedule, advance, get pending() {
    return pending.size;
  } };
}

const HEARTBEAT = { intervalMs: 100, timeoutMs: 50 };

t.test('no hello in time expires the hello clock, once', async (t) => {
  const clock = manual();
  const expired: string[] = [];
  const timers = new SessionTimers((which) => void expired.push(which), clock.schedule);
  timers.awaitHello(1000);
  clock.advance(999);
  t.same(expired, []);
  clock.advance(1);
  t.same(expired, ['hello']);
  clock.advance(5000);
  t.same(expired, ['hello']);
});

t.test('a hello stops its clock, however long the check after it takes', async (t) => {
  const clock = manual();
  const expired: string[] = [];
  const timers = new SessionTimers((which) => void expired.push(which), clock.schedule);
  timers.awaitHello(1000);
  clock.advance(500);
  timers.helloArrived();
  clock.advance(10_000);
  t.same(expired, []);
});

t.test('a welcomed device must be heard from within the heartbeat interval plus its timeout', async (t) => {
  const clock = manual();
  const expired: string[] = [];
  const timers = new SessionTimers((which) => void expired.push(which), clock.schedule);
  timers.heard(HEARTBEAT);
  for (let i = 0; i < 10; i++) {
    clock.advance(149);
    timers.heard(HEARTBEAT);
  }
  t.same(expired, [], 'heard in time, ten times over');
  t.equal(clock.pending, 1, 'one deadline at a time');
  clock.advance(150);
  t.same(expired, ['silence']);
});

t.test('stopped timers never fire and cannot be started again', async (t) => {
  const clock = manual();
  const expired: string[] = [];
  const timers = new SessionTimers((which) => void expired.push(which), clock.schedule);
  timers.awaitHello(10);
  timers.heard(HEARTBEAT);
  timers.stop();
  timers.heard(HEARTBEAT);
  timers.awaitHello(10);
  clock.advance(1000);
  t.same(expired, []);
  t.equal(clock.pending, 0);
});

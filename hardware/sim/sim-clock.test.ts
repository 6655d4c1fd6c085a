import t from 'tap';
import { within } from '../testing/within.js';
import { FakeClock } from './testing/fake-clock.js';
import { realClock, sleepUntil } from './sim-clock.js';
import type { SimClock } from './sim-clock.js';

t.test('sleepUntil sleeps again when a timer fires early', async (t) => {
  const fake = new FakeClock();
  // A clock whose first sleep wakes 3 ms early, as libuv's cached loop time can make it.
  let early = 3;
  const clock: SimClock = {
    now: () => fake.now(),
    sleep: async (ms) => {
      await fake.advance(Math.max(0, ms - early));
      early = 0;
    },
  };
  await sleepUntil(clock, 100, new AbortController().signal);
  t.equal(fake.now(), 100);
});

t.test('sleepUntil returns at once for a time already past or an aborted signal', async (t) => {
  const clock = new FakeClock();
  await clock.advance(50);
  await sleepUntil(clock, 10, new AbortController().signal);
  const controller = new AbortController();
  controller.abort();
  await sleepUntil(clock, 1_000_000, controller.signal);
  t.equal(clock.sleeping, 0);
});

t.test('an abort wakes a fake sleeper', async (t) => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const sleeping = sleepUntil(clock, 1000, controller.signal);
  await clock.advance(10);
  t.equal(clock.sleeping, 1);
  controller.abort();
  await sleeping;
  t.equal(clock.sleeping, 0);
});

t.test('the real clock wakes on abort, long before the hour is up', async (t) => {
  const controller = new AbortController();
  const sleeping = realClock.sleep(3_600_000, controller.signal);
  setImmediate(() => controller.abort());
  await within(sleeping, 5000, 'an aborted sleep to end');
  t.ok(realClock.now() > 0);
});

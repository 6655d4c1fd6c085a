import t from 'tap';
import { paceFrames } from './pace-frames.js';

async function* frames(n: number, gapAfter?: number, gap?: () => void) {
  for (let i = 0; i < n; i++) {
    if (i === gapAfter) gap?.();
    yield new Uint8Array([i]);
  }
}

/** A clock that moves only when the pacer sleeps (or a test moves it). */
function fakeClock() {
  const clock = { t: 0 };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number, signal: AbortSignal) => {
      signal.throwIfAborted();
      clock.t += ms;
    },
  };
}

t.test('the lead goes out at once, then one frame per frame time, without drift', async (t) => {
  const { clock, now, sleep } = fakeClock();
  const sentAt: number[] = [];
  const sent = await paceFrames(frames(10), () => sentAt.push(clock.t), { frameMs: 60, leadMs: 180, rate: 1, now, sleep }, new AbortController().signal);
  t.equal(sent, 10);
  t.same(sentAt, [0, 0, 0, 60, 120, 180, 240, 300, 360, 420]);
});

t.test('never more than leadMs of audio ahead of the device', async (t) => {
  const { clock, now, sleep } = fakeClock();
  let sent = 0;
  await paceFrames(frames(50), () => {
    sent++;
    t.ok(sent * 20 - clock.t <= 60, `frame ${sent} is ${sent * 20 - clock.t} ms ahead`);
  }, { frameMs: 20, leadMs: 60, rate: 1, now, sleep }, new AbortController().signal);
  t.equal(sent, 50);
});

t.test('after an upstream gap the cushion refills at once instead of bursting the backlog', async (t) => {
  const { clock, now, sleep } = fakeClock();
  const sentAt: number[] = [];
  await paceFrames(frames(8, 4, () => (clock.t += 1000)), () => sentAt.push(clock.t), { frameMs: 60, leadMs: 120, rate: 1, now, sleep }, new AbortController().signal);
  // Frames 0,1 at once, 2,3 paced; a 1 s gap drains the device; 4,5 at once again, then paced.
  t.same(sentAt, [0, 0, 60, 120, 1120, 1120, 1180, 1240]);
});

t.test('rate speeds pacing up for tests and benchmarks', async (t) => {
  const { clock, now, sleep } = fakeClock();
  const sentAt: number[] = [];
  await paceFrames(frames(4), () => sentAt.push(clock.t), { frameMs: 60, leadMs: 60, rate: 10, now, sleep }, new AbortController().signal);
  t.same(sentAt, [0, 6, 12, 18]);
});

t.test('abort stops the pacing', async (t) => {
  const controller = new AbortController();
  let sent = 0;
  const pacing = paceFrames(frames(1000), () => {
    if (++sent === 5) controller.abort(new Error('barge-in'));
  }, { frameMs: 60, leadMs: 120, rate: 1 }, controller.signal);
  await t.rejects(pacing, /barge-in/);
  t.equal(sent, 5);
});

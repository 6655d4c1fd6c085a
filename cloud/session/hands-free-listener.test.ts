import t from 'tap';
import { HandsFreeListener, type HandsFreeEvents } from './hands-free-listener.js';
import type { Vad } from '../vad/vad.js';

const FRAME = 960;

/**
 * A detector that hears loud samples as speech and answers only when the test lets it, like a
 * neural detector working off the JavaScript thread: its answers can come after the session has
 * moved on to the next turn.
 */
class GatedVad implements Vad {
  readonly name = 'gated';
  readonly windowSamples = FRAME;
  private readonly waiting: (() => void)[] = [];
  open = true;
  async process(pcm: Int16Array): Promise<Float32Array> {
    if (!this.open) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return Float32Array.of(Math.abs(pcm[0] ?? 0) > 1000 ? 1 : 0);
  }
  release(): void {
    this.open = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
  reset(): void {}
  async close(): Promise<void> {}
}

const speech = () => new Int16Array(FRAME).fill(5000);
const quiet = () => new Int16Array(FRAME);

function recorder() {
  const seen: string[] = [];
  const events: { -readonly [K in keyof HandsFreeEvents]: HandsFreeEvents[K] } = {
    speechStarted: (turn) => seen.push(`start ${turn}`),
    speech: (turn, pcm) => seen.push(`words ${turn} ${pcm.length}`),
    turnEnded: (turn) => seen.push(`end ${turn}`),
    bargedIn: (turn) => seen.push(`barge ${turn}`),
    idle: (turn) => seen.push(`idle ${turn}`),
  };
  return { seen, events };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

t.test('words heard after a barge-in, answered only once the next turn began, still begin and end it', async (t) => {
  const vad = new GatedVad();
  const { seen, events } = recorder();
  const listener = new HandsFreeListener(vad, { idleMs: 60_000, maxCarriedSamples: 100 * FRAME, endpointer: { endSilenceMs: 180, preRollMs: 0 } }, events);
  t.teardown(() => listener.close());
  listener.listen(1);
  for (let i = 0; i < 6; i++) listener.hear(1, speech());
  for (let i = 0; i < 4; i++) listener.hear(1, quiet());
  await settle();
  t.match(seen, ['start 1', /^words 1/], 'turn 1 heard');
  t.ok(seen.includes('end 1'), 'and ended on the pause');
  // The answer plays; the child talks over it, and pauses.
  for (let i = 0; i < 8; i++) listener.hear(1, speech());
  await settle();
  t.ok(seen.includes('barge 1'), 'a barge-in');
  vad.open = false;
  for (let i = 0; i < 4; i++) listener.hear(1, quiet());
  // The device starts turn 2 before the detector has answered for those frames.
  listener.listen(2);
  vad.release();
  await settle();
  const after = seen.slice(seen.indexOf('barge 1') + 1);
  t.equal(after[0], 'start 2', 'turn 2 begins with the carried words');
  t.ok(after.some((e) => e.startsWith('words 2')), 'which it is given');
  t.equal(after.at(-1), 'end 2', 'and the pause heard late still ends it');
});

t.test('a quiet turn ends hands-free after the idle time; nothing after it is heard', async (t) => {
  const { seen, events } = recorder();
  const idle = new Promise<void>((resolve) => {
    const record = events.idle;
    events.idle = (turn) => (record(turn), resolve());
  });
  const listener = new HandsFreeListener(new GatedVad(), { idleMs: 20, maxCarriedSamples: FRAME }, events);
  listener.listen(1);
  listener.hear(1, quiet());
  await idle;
  for (let i = 0; i < 10; i++) listener.hear(1, speech());
  await settle();
  t.same(seen, ['idle 1']);
});

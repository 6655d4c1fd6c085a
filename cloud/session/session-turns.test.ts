import t, { type Test } from 'tap';
import { ErrorCode, type GatewayMessage, type ListenMessage } from '../../protocol/index.js';
import type { Vad } from '../vad/vad.js';
import { newSessionCounters } from './session-counters.js';
import { SessionTurns } from './session-turns.js';
import type { ActiveTurn, TurnEnd } from './turn-runner.js';

const FRAME = 960;
const loud = () => new Int16Array(FRAME).fill(6000);
const quiet = () => new Int16Array(FRAME);

/** Hears loud samples as speech, one window per 60 ms frame. */
class LoudnessVad implements Vad {
  readonly name = 'loudness';
  readonly windowSamples = FRAME;
  closed = false;
  async process(pcm: Int16Array): Promise<Float32Array> {
    const windows = Math.floor(pcm.length / FRAME);
    return Float32Array.from({ length: windows }, (_, i) => (Math.abs(pcm[i * FRAME] ?? 0) > 1000 ? 1 : 0));
  }
  reset(): void {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

const listen = (state: 'start' | 'stop', turn: number, mode: 'push' | 'hands_free' = 'push'): ListenMessage => ({ type: 'listen', state, turn, mode });
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function until(t: Test, what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  t.ok(check(), what);
}

/** Every session a test made is disconnected after it, so no listener's idle timer keeps the process waiting. */
const made: SessionTurns[] = [];
t.afterEach(() => {
  for (const turns of made.splice(0)) turns.disconnect();
});

function setup(options: { idleMs?: number } = {}) {
  const sent: GatewayMessage[] = [];
  const started: { turn: ActiveTurn; end: (how: TurnEnd) => void }[] = [];
  const vads: LoudnessVad[] = [];
  const counters = newSessionCounters();
  const broken: Error[] = [];
  const turns = new SessionTurns({
    config: { maxUtteranceFrames: 100, handsFreeIdleMs: options.idleMs ?? 60_000 },
    vad: () => {
      const vad = new LoudnessVad();
      vads.push(vad);
      return vad;
    },
    counters,
    send: (message) => void sent.push(message),
    run: (turn, end) => void started.push({ turn, end }),
    log: () => undefined,
    logFields: () => ({}),
    broken: (error) => void broken.push(error),
  });
  made.push(turns);
  const reasonOf = (index: number) => (started[index]?.turn.controller.signal.reason as Error | undefined)?.message;
  return { turns, sent, started, vads, counters, reasonOf, broken };
}

t.test('a push turn: its pipeline starts at once, listen stop ends its audio, the pipeline ends it', async (t) => {
  const { turns, started, counters } = setup();
  turns.listenStart(listen('start', 1));
  t.equal(turns.state, 'listening');
  t.equal(started.length, 1, 'the pipeline runs on the words as they come');
  t.equal(turns.routes.pushTurn()?.turn, 1, 'microphone audio goes to the turn');
  t.equal(counters.turns, 1);
  turns.listenStop(listen('stop', 2));
  t.equal(turns.state, 'listening', "another turn's stop is ignored");
  turns.listenStop(listen('stop', 1));
  t.equal(turns.state, 'answering');
  t.type(started[0]?.turn.listenStoppedAt, 'number', "the clock of the turn's timings starts at listen stop");
  t.equal(turns.routes.pushTurn(), undefined, 'no more audio is taken');
  started[0]?.end('done');
  t.equal(turns.state, 'idle');
  t.equal(turns.turn, undefined);
});

t.test('a new listen start cuts the turn in progress; its reason is kept', async (t) => {
  const { turns, started, reasonOf } = setup();
  turns.listenStart(listen('start', 1));
  turns.listenStart(listen('start', 2));
  t.equal(reasonOf(0), 'superseded');
  for await (const _ of started[0]!.turn.pcm) void _;
  t.pass("the cut turn's audio has ended, so its recogniser is not left waiting");
  t.equal(turns.turn, 2);
  started[0]?.end('aborted');
  t.equal(turns.state, 'listening', 'the cut turn ending later changes nothing');
  started[0]?.end('done');
  t.equal(turns.state, 'listening', "nor does a stale turn's end");
});

t.test("the device's abort ends its turn with the device's reason; another turn's abort is ignored", async (t) => {
  const { turns, reasonOf } = setup();
  turns.listenStart(listen('start', 3));
  turns.abort(2, 'barged_in');
  t.equal(turns.state, 'listening');
  turns.abort(3, 'timeout');
  t.equal(turns.state, 'idle');
  t.equal(reasonOf(0), 'device: timeout');
});

t.test('a lock cuts the turn and refuses new ones until the unlock', async (t) => {
  const { turns, sent, started, reasonOf } = setup();
  turns.listenStart(listen('start', 1));
  turns.locked(true);
  t.equal(turns.state, 'locked');
  t.equal(reasonOf(0), 'locked by parent');
  turns.listenStart(listen('start', 2));
  t.same(sent.at(-1), { type: 'error', code: ErrorCode.Locked, message: 'the toy is locked by a parent', retryable: false, turn: 2 });
  t.equal(started.length, 1, 'no turn started while locked');
  turns.locked(true);
  t.equal(turns.state, 'locked', 'a lock again is still a lock');
  turns.locked(false);
  turns.listenStart(listen('start', 3));
  t.equal(turns.state, 'listening');
  t.equal(started.length, 2);
});

t.test('a disconnect cuts the turn; nothing happens after it', async (t) => {
  const { turns, started, reasonOf } = setup();
  turns.listenStart(listen('start', 1));
  turns.disconnect();
  t.equal(reasonOf(0), 'disconnected');
  turns.listenStart(listen('start', 2));
  t.equal(turns.state, 'closed');
  t.equal(started.length, 1);
});

t.test('a failed push turn leaves the session idle, ready for the next', async (t) => {
  const { turns, started } = setup();
  turns.listenStart(listen('start', 1));
  turns.listenStop(listen('stop', 1));
  started[0]?.end('failed');
  t.equal(turns.state, 'idle');
});

t.test('hands-free: the pipeline starts only when the child speaks, and the pause ends the turn', async (t) => {
  const { turns, sent, started, vads } = setup();
  turns.listenStart(listen('start', 5, 'hands_free'));
  t.equal(turns.state, 'handsFreeWaiting');
  t.equal(started.length, 0, 'a quiet room costs no pipeline');
  const stream = turns.routes.handsFree();
  t.ok(stream, 'a listener hears the stream');
  t.equal(turns.routes.pushTurn(), undefined);
  for (let i = 0; i < 10; i++) stream?.listener.hear(5, loud());
  await until(t, 'the child is heard', () => turns.state === 'handsFreeListening');
  t.same(sent.at(-1), { type: 'vad', turn: 5, event: 'speech' });
  t.equal(started.length, 1);
  for (let i = 0; i < 30; i++) stream?.listener.hear(5, quiet());
  await until(t, 'the pause ends the turn', () => turns.state === 'handsFreeAnswering');
  t.same(sent.at(-1), { type: 'vad', turn: 5, event: 'end' });
  const turn = started[0]!.turn;
  t.type(turn.extraTimings['vadHangover'], 'number', 'the pause waited is kept with the timings');
  t.type(turn.listenStoppedAt, 'number');
  const words: Int16Array[] = [];
  for await (const pcm of turn.pcm) words.push(pcm);
  t.ok(words.length > 0, "the child's words went into the turn, and its audio has ended");
  started[0]?.end('done');
  t.equal(turns.state, 'handsFreeIdle', 'hands-free goes on: the next turn comes from the device');
  t.equal(turns.routes.handsFree(), stream, 'the same listener, across turns');
  turns.listenStart(listen('start', 6, 'hands_free'));
  t.equal(turns.state, 'handsFreeWaiting');
  turns.listenStart(listen('start', 7));
  t.equal(turns.state, 'listening', 'a push turn ends hands-free');
  t.equal(turns.routes.handsFree(), undefined);
  t.ok(vads[0]?.closed, "the listener's detector is released");
});

t.test('hands-free switched off before a word: the turn ends with nothing to say', async (t) => {
  const { turns, sent, started } = setup();
  turns.listenStart(listen('start', 4, 'hands_free'));
  turns.listenStop(listen('stop', 4, 'hands_free'));
  t.equal(turns.routes.handsFree(), undefined, 'the stream no longer goes to the listener');
  await until(t, 'the listener heard out its last frames', () => turns.state === 'idle');
  t.same(sent.at(-1), { type: 'speak', state: 'stop', turn: 4 });
  t.equal(started.length, 0);
});

t.test('hands-free in a quiet room ends by itself: vad idle, and nothing is run or kept', async (t) => {
  const { turns, sent, started } = setup({ idleMs: 20 });
  turns.listenStart(listen('start', 9, 'hands_free'));
  await until(t, 'the idle time passed', () => turns.state === 'idle');
  t.same(sent.at(-1), { type: 'vad', turn: 9, event: 'idle' });
  t.equal(started.length, 0);
  t.equal(turns.routes.handsFree(), undefined);
});

t.test('a failed hands-free turn ends hands-free with it', async (t) => {
  const { turns, started, vads } = setup();
  turns.listenStart(listen('start', 2, 'hands_free'));
  for (let i = 0; i < 10; i++) turns.routes.handsFree()?.listener.hear(2, loud());
  await until(t, 'the child is heard', () => started.length === 1);
  started[0]?.end('failed');
  t.equal(turns.state, 'idle');
  t.equal(turns.routes.handsFree(), undefined);
  await settle();
  t.ok(vads[0]?.closed);
});

t.test('speech over the reply is a barge-in: the turn is cut and the words begin the next one', async (t) => {
  const { turns, sent, started, reasonOf } = setup();
  turns.listenStart(listen('start', 1, 'hands_free'));
  const stream = turns.routes.handsFree()!;
  for (let i = 0; i < 10; i++) stream.listener.hear(1, loud());
  for (let i = 0; i < 30; i++) stream.listener.hear(1, quiet());
  await until(t, 'the first turn is answered', () => turns.state === 'handsFreeAnswering');
  for (let i = 0; i < 20; i++) stream.listener.hear(1, loud());
  await until(t, 'the child barged in', () => turns.state === 'handsFreeIdle');
  t.same(sent.at(-1), { type: 'vad', turn: 1, event: 'barge_in' });
  t.equal(reasonOf(0), 'barged in by voice');
  turns.listenStart(listen('start', 2, 'hands_free'));
  t.equal(turns.state, 'handsFreeListening', 'the carried words start the next turn at once');
  t.equal(started.length, 2);
  t.same(sent.at(-1), { type: 'vad', turn: 2, event: 'speech' });
});

/** The messages sent, as short words: "vad speech 1", "speak stop 2", "error locked 3". */
const said = (sent: readonly GatewayMessage[]) =>
  sent.map((m) => (m.type === 'vad' ? `vad ${m.event} ${m.turn}` : m.type === 'speak' ? `speak ${m.state} ${m.turn}` : m.type === 'error' ? `error ${m.code} ${m.turn}` : m.type));

async function speaking(t: Test, turns: SessionTurns, turn: number, started: { length: number }) {
  turns.listenStart(listen('start', turn, 'hands_free'));
  const stream = turns.routes.handsFree()!;
  for (let i = 0; i < 10; i++) stream.listener.hear(turn, loud());
  await until(t, 'the child is heard', () => turns.state === 'handsFreeListening' && started.length > 0);
  return stream;
}

t.test('hands-free switched off while the child speaks: the turn ends where the words end, and is answered', async (t) => {
  const { turns, sent, started, vads } = setup();
  const stream = await speaking(t, turns, 1, started);
  for (let i = 0; i < 3; i++) stream.listener.hear(1, quiet());
  turns.listenStop(listen('stop', 1, 'hands_free'));
  t.equal(turns.state, 'handsFreeOffListening');
  t.equal(turns.routes.handsFree(), undefined, 'no more frames go to the listener');
  await until(t, "the listener found the words' end", () => turns.state === 'answering');
  const turn = started[0]!.turn;
  t.type(turn.listenStoppedAt, 'number', 'the audio has ended');
  t.ok(vads[0]?.closed, 'the listener closed after hearing out its last frames');
  started[0]?.end('done');
  t.equal(turns.state, 'idle', 'and hands-free is over');
  t.same(said(sent), ['vad speech 1', 'vad end 1']);
});

t.test('hands-free switched off while the reply is on its way: the reply goes on, the listening stops', async (t) => {
  const { turns, sent, started, vads } = setup();
  const stream = await speaking(t, turns, 1, started);
  for (let i = 0; i < 30; i++) stream.listener.hear(1, quiet());
  await until(t, 'the pause ends the turn', () => turns.state === 'handsFreeAnswering');
  turns.listenStop(listen('stop', 1, 'hands_free'));
  t.equal(turns.state, 'answering');
  t.equal(turns.routes.handsFree(), undefined);
  await until(t, 'the listener is closed', () => vads[0]?.closed === true);
  t.notOk(started[0]?.turn.controller.signal.aborted, 'the reply was not cut');
  started[0]?.end('done');
  t.equal(turns.state, 'idle');
  t.same(said(sent), ['vad speech 1', 'vad end 1']);
});

t.test("a push-mode listen stop in a hands-free turn is ignored: the gateway finds the words' end itself", async (t) => {
  const { turns, started } = setup();
  await speaking(t, turns, 1, started);
  turns.listenStop(listen('stop', 1, 'push'));
  t.equal(turns.state, 'handsFreeListening');
  t.equal(started[0]?.turn.listenStoppedAt, undefined);
});

t.test("a switched-off listener's last words never reach the turn that followed", async (t) => {
  const { turns, sent, started, vads } = setup();
  turns.listenStart(listen('start', 1, 'hands_free'));
  const first = turns.routes.handsFree()!;
  // Words the first listener is still deciding about when hands-free goes off and on again.
  for (let i = 0; i < 10; i++) first.listener.hear(1, loud());
  turns.listenStop(listen('stop', 1, 'hands_free'));
  turns.listenStart(listen('start', 2, 'hands_free'));
  t.equal(turns.state, 'handsFreeWaiting');
  // The first listener closes once it has heard out its frames and told what it heard.
  await until(t, 'the first listener is done', () => vads[0]?.closed === true);
  t.equal(turns.state, 'handsFreeWaiting', 'turn 2 still waits for its own words');
  t.equal(started.length, 0, 'no pipeline was started by turn 1\'s words');
  t.notOk(said(sent).some((line) => line.startsWith('vad')), 'and the device heard no vad news of either turn');
});

t.test('an effect that throws ends the session instead of leaving the table half done', async (t) => {
  const sent: GatewayMessage[] = [];
  const broken: Error[] = [];
  const turns = new SessionTurns({
    config: { maxUtteranceFrames: 100, handsFreeIdleMs: 60_000 },
    vad: () => {
      throw new Error('no detector');
    },
    counters: newSessionCounters(),
    send: (message) => void sent.push(message),
    run: () => undefined,
    log: () => undefined,
    logFields: () => ({}),
    broken: (error) => void broken.push(error),
  });
  turns.listenStart(listen('start', 1, 'hands_free'));
  t.same(broken.map((e) => e.message), ['no detector']);
  turns.disconnect();
  t.equal(turns.state, 'closed', 'the session can still be closed');
});

import t, { type Test } from 'tap';
import { createOpusEncoder } from '../audio/opus-codec.js';
import { synthesizeUtterance } from '../cli/synthesize-utterance.js';
import { AudioKind, UPLINK_AUDIO, encodeAudioFrame, frameSamples, type GatewayMessage } from '../protocol/index.js';
import { DEVICE_ID, gatewayFor } from './harness.js';
import { RawDevice } from './raw-device.js';

/**
 * Hands-free turns at the gateway, driven by a hand-written device: the
 * microphone streams on, and the gateway's voice activity detection decides
 * where the child's turns begin and end.
 */
const FRAME = frameSamples(UPLINK_AUDIO);

/** A hands-free microphone: Opus frames of one turn, numbered on across calls. */
class Mic {
  private readonly encoder = createOpusEncoder({ sampleRate: 16_000, frameMs: 60, bitrate: 16_000, application: 'voip' });
  private sequence = 0;
  constructor(
    private readonly device: RawDevice,
    readonly turn: number,
  ) {}

  private seed = 7;

  /** Words, with the same quiet room noise under them that the silences have. */
  say(pcm: Int16Array): void {
    this.send(pcm.map((sample) => Math.max(-32768, Math.min(32767, sample + this.noise()))));
  }

  send(pcm: Int16Array): void {
    for (let at = 0; at + FRAME <= pcm.length; at += FRAME) {
      const payload = this.encoder.encode(pcm.subarray(at, at + FRAME));
      this.device.socket.send(encodeAudioFrame({ kind: AudioKind.Microphone, turn: this.turn, sequence: this.sequence++, payload }));
    }
  }

  /** Quiet room noise rather than digital zeros, as a real microphone gives. */
  silence(ms: number): void {
    const pcm = new Int16Array(Math.round((ms * 16_000) / 1000 / FRAME) * FRAME);
    for (let i = 0; i < pcm.length; i++) pcm[i] = this.noise();
    this.send(pcm);
  }

  private noise(): number {
    this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
    return (this.seed % 61) - 30;
  }
}

async function handsFreeDevice(t: Test, config: { handsFreeIdleMs?: number } = {}) {
  const gateway = await gatewayFor(t.testdir(), 0, undefined, config);
  t.teardown(() => gateway.stop());
  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello({ capabilities: ['hands_free'] });
  await device.next((m) => m.type === 'welcome', 'welcome');
  return { gateway, device };
}

const vad = (turn: number, event: string) => (m: GatewayMessage) => m.type === 'vad' && m.turn === turn && m.event === event;

t.test('the gateway hears where the child starts and stops, and answers on the pause', async (t) => {
  const { gateway, device } = await handsFreeDevice(t);
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'hands_free' });
  const mic = new Mic(device, 1);
  mic.silence(900);
  mic.say(await synthesizeUtterance('hello'));
  mic.silence(1500);
  await device.next(vad(1, 'speech'), 'vad speech');
  await device.next(vad(1, 'end'), 'vad end');
  const transcript = await device.next((m) => m.type === 'transcript' && m.turn === 1, 'the transcript');
  t.match(transcript, { text: 'hello' }, 'the words, from the pre-roll on');
  await device.next((m) => m.type === 'speak' && m.state === 'start' && m.turn === 1, 'speak start');
  // The microphone goes on streaming while the toy answers: silence is no barge-in.
  mic.silence(600);
  const metrics = await device.next((m) => m.type === 'metrics' && m.turn === 1, 'metrics');
  t.match(metrics, { timings: { vadHangover: Number, stt: Number } });
  await device.next((m) => m.type === 'speak' && m.state === 'stop' && m.turn === 1, 'speak stop');
  t.notOk(device.received.some((m) => m.type === 'vad' && m.event === 'barge_in'), 'no barge-in from a quiet room');
  await gateway.server.sessionOf(DEVICE_ID)?.settled();
  const [record] = await gateway.store.listTurns({ deviceId: DEVICE_ID });
  t.match(record, { turn: 1, transcript: 'hello', outcome: 'answered', timings: { vadHangover: Number } });
});

t.test('the child interrupts by voice: the answer is cut and the words begin the next turn', async (t) => {
  const { gateway, device } = await handsFreeDevice(t);
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'hands_free' });
  const first = new Mic(device, 1);
  first.silence(600);
  first.say(await synthesizeUtterance('tell me a story'));
  first.silence(1000);
  await device.next(vad(1, 'end'), 'vad end');
  await device.next((m) => m.type === 'speak' && m.state === 'start' && m.turn === 1, 'the story starts');
  // A loud, long interruption while the story is told.
  first.say(await synthesizeUtterance('tell me a joke'));
  await device.next(vad(1, 'barge_in'), 'vad barge_in');
  device.send({ type: 'listen', state: 'start', turn: 2, mode: 'hands_free' });
  const second = new Mic(device, 2);
  second.silence(1200);
  await device.next(vad(2, 'speech'), 'the carried words start turn 2');
  await device.next(vad(2, 'end'), 'and it ends on the pause');
  const transcript = await device.next((m) => m.type === 'transcript' && m.turn === 2, 'the transcript of turn 2');
  t.match(transcript, { text: 'tell me a joke' }, 'the words heard during the story were not lost');
  await device.next((m) => m.type === 'speak' && m.state === 'stop' && m.turn === 2, 'turn 2 answered');
  t.notOk(device.received.some((m) => m.type === 'speak' && m.state === 'stop' && m.turn === 1), 'nothing more was sent for the cut turn');
  await gateway.server.sessionOf(DEVICE_ID)?.settled();
  const turns = await gateway.store.listTurns({ deviceId: DEVICE_ID });
  t.same(turns.map((r) => `${r.turn}:${r.outcome}`), ['2:answered', '1:aborted']);
});

t.test('nothing said for the idle time ends hands-free; no empty turn is stored', async (t) => {
  const { gateway, device } = await handsFreeDevice(t, { handsFreeIdleMs: 1000 });
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'hands_free' });
  new Mic(device, 1).silence(500);
  await device.next(vad(1, 'idle'), 'vad idle');
  const session = gateway.server.sessionOf(DEVICE_ID)!;
  const dropped = session.counters.framesDropped;
  // The child speaks only after hands-free ended: nobody is listening any more.
  const late = new Mic(device, 1);
  late.say(await synthesizeUtterance('hello'));
  late.silence(1200);
  t.ok(await device.alive(1));
  t.ok(session.counters.framesDropped - dropped >= 20, 'the late words were dropped, frame by frame');
  await session.settled();
  t.notOk(device.received.some((m) => m.type === 'transcript' || (m.type === 'vad' && m.event === 'speech')), 'no turn ran');
  t.same(await gateway.store.listTurns({ deviceId: DEVICE_ID }), []);
});

t.test('switching hands-free off mid-sentence ends the turn there', async (t) => {
  const { device } = await handsFreeDevice(t);
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'hands_free' });
  const mic = new Mic(device, 1);
  mic.silence(600);
  mic.say(await synthesizeUtterance('hello'));
  await device.next(vad(1, 'speech'), 'vad speech');
  device.send({ type: 'listen', state: 'stop', turn: 1, mode: 'hands_free' });
  await device.next(vad(1, 'end'), 'the turn ends at once');
  t.match(await device.next((m) => m.type === 'transcript' && m.turn === 1, 'transcript'), { text: 'hello' });
});

t.test('hands-free from a device that did not announce it is refused', async (t) => {
  const gateway = await gatewayFor(t.testdir());
  t.teardown(() => gateway.stop());
  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  await device.next((m) => m.type === 'welcome', 'welcome');
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'hands_free' });
  t.match(await device.error('invalid_message'), { message: /hands_free/, turn: 1 });
  t.ok(await device.alive(1), 'the session lives on');
});

t.test('switching hands-free off before a word is said ends the turn with nothing to say', async (t) => {
  const { gateway, device } = await handsFreeDevice(t);
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'hands_free' });
  new Mic(device, 1).silence(300);
  device.send({ type: 'listen', state: 'stop', turn: 1, mode: 'hands_free' });
  await device.next((m) => m.type === 'speak' && m.state === 'stop' && m.turn === 1, 'speak stop');
  t.notOk(device.received.some((m) => m.type === 'transcript'), 'no turn ran');
  t.same(await gateway.store.listTurns({ deviceId: DEVICE_ID }), []);
});

t.test("a device's abort of a hands-free turn ends hands-free at the gateway too", async (t) => {
  const { gateway, device } = await handsFreeDevice(t, { handsFreeIdleMs: 1000 });
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'hands_free' });
  const mic = new Mic(device, 1);
  mic.silence(300);
  device.send({ type: 'abort', turn: 1, reason: 'barged_in' });
  t.ok(await device.alive(1));
  const session = gateway.server.sessionOf(DEVICE_ID)!;
  const dropped = session.counters.framesDropped;
  mic.say(await synthesizeUtterance('hello'));
  mic.silence(1500);
  t.ok(await device.alive(2));
  // A listener left running would take these frames (and later say idle); none is left to take them.
  t.ok(session.counters.framesDropped - dropped >= 20, 'its frames are dropped');
  t.notOk(device.received.some((m) => m.type === 'vad'), 'no vad message for the aborted turn');
});

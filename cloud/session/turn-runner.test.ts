import t, { type Test } from 'tap';
import { createOpusDecoder } from '../../audio/opus-codec.js';
import { AudioKind, DOWNLINK_AUDIO, ErrorCode, decodeAudioFrame, type GatewayMessage } from '../../protocol/index.js';
import { ConversationMemory } from '../memory/conversation-memory.js';
import type { ConversationMessage, TurnRecord } from '../store/store.js';
import { DEFAULT_TOY } from '../toy/toy-profile.js';
import { gatewayConfig } from './gateway-config.js';
import { instantProviders } from './testing/instant-providers.js';
import { TurnRunner, openTurn, type TurnEnd } from './turn-runner.js';

async function setup(t: Test, options: Parameters<typeof instantProviders>[0] = {}, log: (level: string, message: string) => void = () => undefined) {
  const sent: GatewayMessage[] = [];
  const frames: Uint8Array[] = [];
  const written: TurnRecord[] = [];
  const saved: ConversationMessage[][] = [];
  const memory = await ConversationMemory.load({
    store: { conversation: async () => undefined, saveConversation: async (_d, _t, conversation) => void saved.push([...conversation.messages]) },
    deviceId: 'toy-1',
    toyId: DEFAULT_TOY.id,
    onError: (error) => t.fail(error.message),
  });
  const runner = new TurnRunner({
    config: gatewayConfig({ pacing: { rate: 1000 } }),
    providers: instantProviders(options),
    toy: DEFAULT_TOY,
    turnLog: { write: (record) => void written.push(record) },
    log,
    sessionId: 'session-1',
    deviceId: () => 'toy-1',
    memory: () => memory,
    prompt: async (transcript) => [{ role: 'user', content: transcript }],
    send: (message) => void sent.push(message),
    sendFrame: (frame) => void frames.push(frame),
  });
  return { runner, sent, frames, written, saved, memory };
}

/** Runs one turn whose audio has already ended; resolves with how it ended. */
function run(runner: TurnRunner, number: number, before?: (turn: ReturnType<typeof openTurn>) => void): Promise<TurnEnd> {
  const turn = openTurn(number, 10);
  turn.pcm.push(new Int16Array(960));
  turn.audioArrived();
  turn.listenStoppedAt = performance.now();
  turn.pcm.end();
  before?.(turn);
  return new Promise((resolve) => runner.start(turn, resolve));
}

t.test("an answered turn: what the device is told, in order, and the toy's voice as numbered Opus frames", async (t) => {
  const { runner, sent, frames, written } = await setup(t);
  t.equal(await run(runner, 3), 'done');
  const types = sent.map((m) => (m.type === 'speak' ? `speak ${m.state}` : m.type));
  t.same(types.filter((type, i) => type !== types[i - 1]), ['transcript', 'reply', 'speak start', 'reply', 'metrics', 'speak stop']);
  t.match(sent[0], { type: 'transcript', turn: 3, text: 'hello' });
  t.ok(frames.length > 0, 'audio frames went out');
  const decoder = createOpusDecoder(DOWNLINK_AUDIO.sampleRate);
  frames.forEach((bytes, index) => {
    const decoded = decodeAudioFrame(bytes);
    if (!decoded.ok) return t.fail(decoded.error.message);
    t.match(decoded.frame, { kind: AudioKind.Voice, turn: 3, sequence: index });
    t.equal(decoder.decode(decoded.frame.payload).length, (DOWNLINK_AUDIO.sampleRate * DOWNLINK_AUDIO.frameMs) / 1000);
  });
  t.strictSame(written.map((record) => record.outcome), ['started', 'heard', 'answered'], 'written as it went: its audio, its words, its end');
  t.equal(new Set(written.map((record) => record.id)).size, 1, 'under one id');
  t.match(written[1], { turn: 3, transcript: 'hello', reply: '', outcome: 'heard' });
  t.match(written[2], { deviceId: 'toy-1', sessionId: 'session-1', turn: 3, transcript: 'hello', reply: 'Hi there, little friend! Shall we sing?', outcome: 'answered' });
});

t.test('an answered turn is remembered in the conversation; the first turn of a session is its start', async (t) => {
  const { runner, memory, saved } = await setup(t);
  t.ok(memory.isEmpty);
  await run(runner, 1);
  t.notOk(memory.isEmpty, 'the exchange is in the memory');
  const messages = memory.messagesFor('system', 'next');
  t.same(messages.slice(1, 3).map((m) => m.content), ['hello', 'Hi there, little friend! Shall we sing?']);
  await memory.close();
  t.same(saved.at(-1)?.map((m) => m.role), ['user', 'assistant'], 'and saved when the memory closes');
});

t.test("the device's report is joined to the turn under the same id, timings prefixed", async (t) => {
  const { runner, written } = await setup(t);
  await run(runner, 1);
  runner.reported(1, { voiceToVoiceMs: 812 });
  t.equal(written.length, 4);
  t.equal(written[3]?.id, written[2]?.id, 'written again, same record');
  t.match(written[3], { outcome: 'answered', timings: { 'device.voiceToVoiceMs': 812 } });
  runner.reported(9, { voiceToVoiceMs: 1 });
  t.equal(written.length, 4, 'a report of a turn never run is ignored');
});

t.test('a failed turn that still spoke its kind fallback ends as any other, and is recorded as failed', async (t) => {
  const { runner, sent, written } = await setup(t, { sttFails: true });
  t.equal(await run(runner, 2), 'done');
  t.ok(sent.some((m) => m.type === 'speak' && m.state === 'start'), 'the fallback was spoken');
  t.match(sent.at(-1), { type: 'speak', state: 'stop', turn: 2 });
  t.notOk(sent.some((m) => m.type === 'error'));
  t.match(written.at(-1), { turn: 2, outcome: 'failed', error: { code: 'stt_down' } });
});

t.test('a failed turn with nothing heard: a retryable error for the device, and the record keeps why', async (t) => {
  const { runner, sent, written } = await setup(t, { sttFails: true, voiceFails: true });
  t.equal(await run(runner, 2), 'failed');
  t.match(sent.at(-1), { type: 'error', code: ErrorCode.TurnFailed, retryable: true, turn: 2 });
  t.notOk(sent.some((m) => m.type === 'speak'), 'no speak start or stop');
  t.match(written.at(-1), { turn: 2, outcome: 'failed', error: { code: 'stt_down' } });
});

t.test('a cut turn: nothing more is sent, and it is still recorded with its reason', async (t) => {
  const { runner, sent, written } = await setup(t);
  const how = await run(runner, 4, (turn) => turn.controller.abort(new Error('superseded')));
  t.equal(how, 'aborted');
  t.notOk(sent.some((m) => m.type === 'metrics' || m.type === 'speak' || m.type === 'error'), 'no metrics, speak or error for a cut turn');
  t.match(written.at(-1), { turn: 4, outcome: 'aborted', error: { message: /superseded/ } });
  await runner.settled();
});

t.test('a turn cut while its fallback is tried comes back failed, and the device, already on to the next, hears nothing', async (t) => {
  let cut: (() => void) | undefined;
  const { runner, sent, written } = await setup(t, { sttFails: true, voiceFails: true, onVoice: () => cut?.() });
  const how = await run(runner, 6, (turn) => (cut = () => turn.controller.abort(new Error('barged in by voice'))));
  t.equal(how, 'aborted', 'the table hears of no failure');
  t.notOk(sent.some((m) => m.type === 'metrics' || m.type === 'error' || m.type === 'speak'), 'no metrics, no speak, no error');
  t.match(written.at(-1), { turn: 6, outcome: 'failed' }, 'the record says what the pipeline did');
});

t.test('settled waits for every turn started', async (t) => {
  const { runner, written } = await setup(t);
  const first = openTurn(1, 10);
  runner.start(first, () => undefined);
  let settled = false;
  const waiting = runner.settled().then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(settled, 'a turn still waiting for its audio holds it');
  first.listenStoppedAt = performance.now();
  first.pcm.end();
  await waiting;
  t.equal(written.length, 0, 'a turn that never got audio leaves no row');
});

t.test('a listen start let go at once, with no audio: answered or cut, it writes no row (finding 4: 60,000 starts wrote 33,371 rows)', async (t) => {
  const { runner, written } = await setup(t);
  for (let number = 1; number <= 200; number++) {
    const turn = openTurn(number, 10);
    if (number % 2 === 0) turn.controller.abort(new Error('superseded'));
    turn.listenStoppedAt = performance.now();
    turn.pcm.end();
    await new Promise((resolve) => runner.start(turn, resolve));
  }
  await runner.settled();
  t.equal(written.length, 0);
});

t.test('a turn is on record from its first audio, before it is heard', async (t) => {
  const { runner, written } = await setup(t);
  const turn = openTurn(7, 10);
  const ended = new Promise((resolve) => runner.start(turn, resolve));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(written.length, 0, 'nothing before audio');
  turn.pcm.push(new Int16Array(960));
  turn.audioArrived();
  turn.audioArrived();
  await new Promise((resolve) => setImmediate(resolve));
  t.strictSame(written.map((record) => [record.turn, record.outcome]), [[7, 'started']], 'one row while the child speaks');
  turn.listenStoppedAt = performance.now();
  turn.pcm.end();
  await ended;
  t.strictSame(written.map((record) => record.outcome), ['started', 'heard', 'answered']);
});

t.test('a turn that throws after its row was started still ends its row, as failed', async (t) => {
  const { runner, written, sent } = await setup(t, {}, (_level, message) => {
    if (message === 'turn ended') throw new Error('the log broke');
  });
  t.equal(await run(runner, 4), 'failed');
  t.strictSame(written.map((record) => record.outcome), ['started', 'heard', 'failed'], 'not left started until the next restart');
  t.match(written.at(-1), { turn: 4, error: { code: 'internal', message: 'the log broke' } });
  t.match(sent.at(-1), { type: 'error', code: ErrorCode.TurnFailed, turn: 4 });
});

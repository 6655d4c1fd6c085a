import { join } from 'node:path';
import t from 'tap';
import { createOpusEncoder } from '../audio/opus-codec.js';
import { synthesizeUtterance } from '../cli/synthesize-utterance.js';
import { startGateway } from '../cloud/gateway-main.js';
import { DEFAULT_CIRCUIT_BREAKER } from '../cloud/providers/circuit-breaker.js';
import { FakeChatCompletions, type ChatAnswer } from '../cloud/providers/llm/testing/fake-chat-completions.js';
import { FakeOpenAiTranscriptions } from '../cloud/providers/stt/testing/fake-openai-transcriptions.js';
import { gatewayConfig } from '../cloud/session/gateway-config.js';
import { FALLBACK } from '../cloud/toy/fixed-lines.js';
import { DEFAULT_TURN_BUDGET } from '../cloud/turn/turn-budget.js';
import type { LogLevel } from '../log/log.js';
import { AudioKind, UPLINK_AUDIO, encodeAudioFrame, frameSamples, type GatewayMessage } from '../protocol/index.js';
import { DEVICE_ID, DEVICE_SECRET, SPEED } from './harness.js';
import { RawDevice } from './raw-device.js';

/**
 * A language model that is down, met by a real gateway over a real WebSocket: a loopback
 * server speaking OpenRouter's wire format fails every request (HTTP 500 without Retry-After,
 * or a connection dropped before the answer), turn after turn. The gateway must stop calling it once it knows it is down, say so
 * once, and give every child the fallback line at once instead of a round of retries.
 */
const TURNS = 6;
const TURN_BUDGET_MS = DEFAULT_TURN_BUDGET.totalMs;

const OUTAGES: readonly { readonly what: string; readonly answer: ChatAnswer; readonly code: string }[] = [
  { what: 'answers HTTP 500 without Retry-After', answer: { kind: 'fail', status: 500, body: { error: { code: 500, message: 'Internal Server Error' } } }, code: 'provider_unavailable' },
  // The connection is dropped once the stream has begun, before a word of the answer.
  { what: 'drops the connection before answering', answer: { kind: 'stream', pieces: ['never sent'], after: { pieces: 0, then: 'destroy' } }, code: 'provider_stream_cut' },
];

for (const outage of OUTAGES) t.test(`a language model that ${outage.what} every time is called for the first turns only, then the fallback plays without it (issue 10, finding 5)`, async (t) => {
  const dir = t.testdir();
  const stt = await FakeOpenAiTranscriptions.start({ apiKey: 'sk-test-openai' });
  // Not one of a conversation's usual first words: the reply cache has no answer for it.
  stt.defaultAnswer = { text: 'Why is the sky blue?' };
  let down = false;
  const llm = await FakeChatCompletions.start({
    apiKey: 'sk-test-openrouter',
    basePath: '/api/v1',
    // Until it goes down, a different greeting each time, as a real model's would be (the reply cache wants two of each).
    answer: (_request, index) => (down ? outage.answer : { kind: 'stream', pieces: [`Hello, friend number ${index}! `, 'I love carrots.'] }),
  });
  t.teardown(async () => {
    await Promise.all([stt.close(), llm.close()]);
  });
  const lines: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];
  const gateway = await startGateway(
    gatewayConfig({ port: 0, databasePath: join(dir, 'gateway.db'), pacing: { rate: SPEED }, turnBudgetMs: TURN_BUDGET_MS }),
    (level, message, fields = {}) => lines.push({ level, message, fields }),
    {
      providerSettings: {
        stt: { kind: 'openai', apiKey: 'sk-test-openai', baseUrl: stt.baseUrl, model: 'whisper-1' },
        llm: { kind: 'openai-compatible', apiKey: 'sk-test-openrouter', baseUrl: llm.baseUrl },
        tts: { kind: 'offline' },
        safety: { kind: 'offline' },
      },
    },
  );
  t.teardown(() => gateway.stop());
  await gateway.store.addDeviceWithSecret(DEVICE_ID, DEVICE_SECRET);
  // The replies made ahead at start-up, while the model still answered.
  t.match(await gateway.firstReplies, { failed: 0 });

  down = true;
  const before = llm.requests.length;
  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  await device.next((m) => m.type === 'welcome', 'welcome');
  const utterance = await synthesizeUtterance('why is the sky blue');
  const encoder = createOpusEncoder({ sampleRate: UPLINK_AUDIO.sampleRate, frameMs: UPLINK_AUDIO.frameMs, bitrate: 16_000, application: 'voip' });
  const frame = frameSamples(UPLINK_AUDIO);

  const requestsPerTurn: number[] = [];
  const repliesPerTurn: string[][] = [];
  const firstAudioPerTurn: number[] = [];
  for (let turn = 1; turn <= TURNS; turn++) {
    const requestsBefore = llm.requests.length;
    device.send({ type: 'listen', state: 'start', turn, mode: 'push' });
    for (let at = 0, sequence = 0; at + frame <= utterance.length; at += frame) {
      device.socket.send(encodeAudioFrame({ kind: AudioKind.Microphone, turn, sequence: sequence++, payload: encoder.encode(utterance.subarray(at, at + frame)) }));
    }
    device.send({ type: 'listen', state: 'stop', turn, mode: 'push' });
    const ofTurn = (m: GatewayMessage) => 'turn' in m && m.turn === turn;
    const metrics = await device.next((m) => ofTurn(m) && m.type === 'metrics', `turn ${turn}'s metrics`);
    await device.next((m) => ofTurn(m) && m.type === 'speak' && m.state === 'stop', `turn ${turn}'s speak stop`);
    const replies: string[] = [];
    for (let reply = device.received.find((m) => ofTurn(m) && m.type === 'reply'); reply !== undefined; reply = device.received.find((m) => ofTurn(m) && m.type === 'reply')) {
      device.received.splice(device.received.indexOf(reply), 1);
      if (reply.type === 'reply') replies.push(reply.text);
    }
    repliesPerTurn.push(replies);
    requestsPerTurn.push(llm.requests.length - requestsBefore);
    if (metrics.type === 'metrics') firstAudioPerTurn.push(metrics.timings['firstAudio'] ?? Number.POSITIVE_INFINITY);
  }

  t.same(repliesPerTurn, Array.from({ length: TURNS }, () => [FALLBACK]), 'every child heard the fallback line, and only it');
  const { maxAttempts } = DEFAULT_TURN_BUDGET;
  const turnsUntilOpen = Math.ceil(DEFAULT_CIRCUIT_BREAKER.failureThreshold / maxAttempts);
  const total = llm.requests.length - before;
  t.ok(total <= maxAttempts * turnsUntilOpen, `at most ${maxAttempts} requests for each of the ${turnsUntilOpen} turns until it opened, got ${total} (${requestsPerTurn.join(', ')})`);
  t.equal(total, DEFAULT_CIRCUIT_BREAKER.failureThreshold, 'exactly as many as open the breaker: no probe within the cool-down');
  t.same(requestsPerTurn.slice(turnsUntilOpen), Array.from({ length: TURNS - turnsUntilOpen }, () => 0), 'the later turns never reached the server');

  const rows = (await gateway.store.listTurns({ deviceId: DEVICE_ID })).sort((a, b) => a.turn - b.turn);
  t.same(
    rows.map((r) => [r.turn, r.outcome, r.error?.code]),
    Array.from({ length: TURNS }, (_, i) => [i + 1, 'failed', i + 1 < turnsUntilOpen ? outage.code : 'provider_down']),
    'the first turn ran out of attempts; from the one that opened it on, the breaker answered',
  );
  // The code's own deadline, not a speed: the fallback came within the turn's budget, not after it.
  for (const [i, ms] of firstAudioPerTurn.entries()) t.ok(ms <= TURN_BUDGET_MS, `turn ${i + 1}'s fallback within the ${TURN_BUDGET_MS} ms budget (${ms} ms)`);

  const downLines = lines.filter((l) => l.message === 'provider down');
  t.equal(downLines.length, 1, 'one line says the model is down, not one per turn');
  t.match(downLines[0], { level: 'warn', fields: { provider: 'OpenAI-compatible LLM', stage: 'llm', failures: DEFAULT_CIRCUIT_BREAKER.failureThreshold, code: outage.code } });
  t.notOk(lines.some((l) => l.message === 'provider back'), 'and nothing says it came back');
  t.notOk(JSON.stringify(lines).includes('sk-test-openrouter'), 'the key is in no log line');
});

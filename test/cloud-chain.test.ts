import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { rms } from '../audio/pcm-level.js';
import { decodeWav } from '../audio/wav-file.js';
import { SqliteStore } from '../cloud/store/sqlite-store.js';
import { allRedirects } from '../cloud/providers/safety/gentle-redirect.js';
import { DEFAULT_TOY } from '../cloud/toy/toy-profile.js';
import { FIXED_LINES } from '../cloud/toy/fixed-lines.js';
import { COMMON_OPENERS } from '../cloud/turn/pregenerate-replies.js';
import { FakeChatCompletions } from '../cloud/providers/llm/testing/fake-chat-completions.js';
import { FakeContentSafety } from '../cloud/providers/safety/testing/fake-content-safety.js';
import { FakeOpenAiTranscriptions } from '../cloud/providers/stt/testing/fake-openai-transcriptions.js';
import { FakeElevenLabs } from '../cloud/providers/tts/testing/fake-elevenlabs.js';
import { deviceConfig } from '../device/device-config.js';
import { startDevice } from '../device/device-main.js';
import { silentLog } from '../log/log.js';
import { RecordingLeds } from '../hardware/sim/recording-leds.js';
import { ScriptedButton } from '../hardware/sim/scripted-button.js';
import { SimSpeaker } from '../hardware/sim/sim-speaker.js';
import { WavMicrophone } from '../hardware/sim/wav-microphone.js';
import { DEVICE_ID, DEVICE_SECRET, Reports, SPEED, gatewayFor, sayToToy } from './harness.js';

/**
 * The whole chain through the cloud adapters: a real device over a real
 * WebSocket, a gateway configured as by the environment variables, and four
 * loopback servers speaking OpenAI's, OpenRouter's, ElevenLabs' and Azure's
 * wire formats.
 */
t.test('a turn through every cloud adapter: transcribed, checked, answered, checked and spoken', async (t) => {
  const dir = t.testdir();
  const stt = await FakeOpenAiTranscriptions.start({ apiKey: 'sk-test-openai' });
  stt.answer({ text: 'Hello, Pommai!' });
  stt.defaultAnswer = { text: 'Tell me a story.' };
  const story = ['Once upon a time, ', 'a bunny found a carrot. ', 'It was the biggest carrot ever!'];
  // The openers made ahead get a different greeting each time, as a real model's would be.
  const llm = await FakeChatCompletions.start({
    apiKey: 'sk-test-openrouter',
    basePath: '/api/v1',
    answer: (request, index) => {
      const words = (request.body['messages'] as Array<{ content: string }>).at(-1)?.content;
      return { kind: 'stream', pieces: words === 'tell me a story' ? story : [`Hello, friend number ${index}! `, 'I love carrots.'] };
    },
  });
  const tts = await FakeElevenLabs.start({ apiKey: 'el-test' });
  const safety = await FakeContentSafety.start({ key: 'azure-test' });
  t.teardown(async () => {
    await Promise.all([stt.close(), llm.close(), tts.close(), safety.close()]);
  });
  const gateway = await gatewayFor(dir, 0, {
    stt: { kind: 'openai', apiKey: 'sk-test-openai', baseUrl: stt.baseUrl, model: 'whisper-1' },
    llm: { kind: 'openai-compatible', apiKey: 'sk-test-openrouter', baseUrl: llm.baseUrl },
    tts: { kind: 'elevenlabs', apiKey: 'el-test', baseUrl: tts.url, voiceId: 'toy-voice' },
    safety: { kind: 'azure', endpoint: safety.endpoint, key: 'azure-test' },
  });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await gateway.stop();
  });
  const speaker = await SimSpeaker.create({ sampleRate: 24_000, speed: SPEED, soundCard: 'off', wavPath: join(dir, 'reply.wav') });
  const hardware = { button: new ScriptedButton(), leds: new RecordingLeds(), microphone: new WavMicrophone({ speed: SPEED }), speaker };
  const reports = new Reports();
  const device = startDevice(deviceConfig({ gatewayUrl: gateway.url, deviceId: DEVICE_ID, secret: DEVICE_SECRET }), hardware, silentLog, reports.observe);
  await reports.wait((r) => r.type === 'state' && r.state === 'idle', 'the device to come online');
  const madeAhead = await gateway.firstReplies;
  t.same(madeAhead, { ready: COMMON_OPENERS.length, failed: 0 }, 'the first replies were made ahead');
  const warmUp = { llm: llm.requests.length, tts: tts.requests.length, safety: safety.requests.length };
  t.equal(warmUp.llm, COMMON_OPENERS.length * 2, 'two variants of each');

  const greeting = await sayToToy(hardware, reports, 'hello pommai');
  t.match(greeting, { end: 'played' });
  t.equal(llm.requests.length, warmUp.llm, 'the greeting came from the reply cache: no model');
  t.equal(safety.requests.length, warmUp.safety, 'and no checks: its words were checked when it was made');
  const greetingReplies = reports.all.flatMap((r) => (r.type === 'reply' ? [r.text] : []));
  t.match(greetingReplies, [/^Hello, friend number \d+!$/, 'I love carrots.']);

  const since = reports.all.length;
  const turn = await sayToToy(hardware, reports, 'tell me a story');
  // The fixed lines and redirects are made ahead in the background, beside the reply's three chunks.
  await tts.request(FIXED_LINES.length + allRedirects(DEFAULT_TOY).length + 3);
  await device.stop();
  await speaker.close();
  await gateway.stop();
  stopped = true;

  t.match(turn, { end: 'played' });
  t.match(reports.all.slice(since).find((r) => r.type === 'transcript'), { text: 'tell me a story' });
  const replies = reports.all.slice(since).flatMap((r) => (r.type === 'reply' ? [r.text] : []));
  t.same(replies, ['Once upon a time,', 'a bunny found a carrot.', 'It was the biggest carrot ever!'], 'the first chunk cut at its comma');
  t.equal(stt.requests.length, 2, 'one upload per turn');
  t.equal(stt.requests[1]?.file?.contentType, 'audio/ogg', 'as Ogg/Opus');
  t.equal(llm.requests.length, warmUp.llm + 1);
  const messages = llm.requests.at(-1)?.body['messages'] as Array<{ role: string; content: string }>;
  t.equal(messages[0]?.role, 'system', 'the child-safe system prompt first');
  t.same(messages.at(-1), { role: 'user', content: 'tell me a story' });
  t.same(messages.slice(1, -1), [
    { role: 'user', content: 'hello pommai' },
    { role: 'assistant', content: greetingReplies.join(' ') },
  ], 'the cached greeting is part of the conversation');
  const synthesized = tts.requests.map((r) => (r.body as { text: string }).text);
  t.same(replies.filter((text) => synthesized.includes(text)), replies, 'every chunk synthesized by the cloud voice');
  t.ok(tts.requests.every((r) => r.voiceId === 'toy-voice'), 'in the configured voice');
  t.ok(FIXED_LINES.every((line) => synthesized.includes(line)), 'and the fixed lines were made ahead in it');
  t.equal(safety.requests.length - warmUp.safety, 4, 'Azure checked the child\'s words and every chunk');
  const played = decodeWav(await readFile(join(dir, 'reply.wav'))).pcm;
  t.ok(played.length > 24_000 * 0.5 && rms(played) > 300, `${(played.length / 24_000).toFixed(1)} s of the cloud voice played, not silence`);
  const store = await SqliteStore.open(join(dir, 'gateway.db'));
  t.teardown(() => store.close());
  const [record, greetingRecord] = await store.listTurns({ deviceId: DEVICE_ID });
  t.match(greetingRecord, { transcript: 'hello pommai', outcome: 'answered', timings: { replyCache: Number } });
  t.equal(greetingRecord?.timings['llmFirstToken'], undefined);
  t.match(record, { transcript: 'tell me a story', outcome: 'answered', timings: { stt: Number, safetyIn: Number, llmFirstToken: Number, ttsFirstByte: Number, firstAudio: Number, safetyInTtfb: Number, llmTtfb: Number, safetyOutTtfb: Number, ttsTtfb: Number } });
  t.same(record?.safety.map((s) => `${s.direction}:${s.provider}`), ['input:local+azure', 'output:local+azure', 'output:local+azure', 'output:local+azure']);
});

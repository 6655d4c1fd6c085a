import { inspect } from 'node:util';
import t, { type Test } from 'tap';
import { ProviderError } from '../provider-error.js';
import { DEFAULT_TOY } from '../../toy/toy-profile.js';
import { ElevenLabsTts, type ElevenLabsTtsOptions } from './elevenlabs-tts.js';
import { FakeElevenLabs, type FakeElevenLabsOptions } from './testing/fake-elevenlabs.js';

const voice = DEFAULT_TOY.voice;
const live = () => new AbortController().signal;

async function setup(t: Test, options: Partial<ElevenLabsTtsOptions> = {}, fakeOptions: FakeElevenLabsOptions = {}) {
  const fake = await FakeElevenLabs.start(fakeOptions);
  t.teardown(() => fake.close());
  const tts = new ElevenLabsTts({ apiKey: fake.apiKey, baseUrl: fake.url, defaultVoiceId: 'default-voice', ...options });
  return { fake, tts };
}

async function collect(stream: AsyncIterable<Int16Array>, into: Int16Array[] = []): Promise<Int16Array[]> {
  for await (const chunk of stream) into.push(chunk);
  return into;
}

function join(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Samples that catch byte-order and carry mistakes: both signs, extremes, no repeats. */
function ramp(length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => (i % 2 === 0 ? 1 : -1) * ((i * 257 + 3) % 32768));
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function failure(stream: AsyncIterable<Int16Array>, into: Int16Array[] = []): Promise<unknown> {
  return collect(stream, into).then(
    () => new Error('expected a failure, the stream ended'),
    (e: unknown) => e,
  );
}

t.test('sends exactly the documented request', async (t) => {
  const { fake, tts } = await setup(t);
  t.equal(tts.sampleRate, 24000, 'pcm_24000 by default: the downlink rate');
  await collect(tts.synthesize('Hello there!', voice, live()));
  const [request] = fake.requests;
  t.equal(request?.method, 'POST');
  t.equal(request?.path, '/v1/text-to-speech/default-voice/stream', 'the default voice when the toy names none');
  t.strictSame(request?.query, { output_format: 'pcm_24000' }, 'no deprecated optimize_streaming_latency');
  t.equal(request?.headers['xi-api-key'], fake.apiKey);
  t.match(request?.headers['content-type'], /^application\/json/);
  t.strictSame(request?.body, { text: 'Hello there!', model_id: 'eleven_flash_v2_5' });
});

t.test("uses the toy's own voice, settings, language and format", async (t) => {
  const { fake, tts } = await setup(t, {
    modelId: 'eleven_turbo_v2_5',
    outputFormat: 'pcm_16000',
    voiceSettings: { stability: 0.4, similarityBoost: 0.8, style: 0, useSpeakerBoost: false, speed: 1.1 },
    languageCode: 'en',
    enableLogging: false,
  });
  t.equal(tts.sampleRate, 16000);
  const samples = join(await collect(tts.synthesize('Hi', { ...voice, elevenLabsVoiceId: 'bunny/voice 1' }, live())));
  t.ok(samples.length > 0.2 * 16000, 'audio at the requested rate');
  const [request] = fake.requests;
  t.equal(request?.path, '/v1/text-to-speech/bunny%2Fvoice%201/stream', 'the voice id is one path segment');
  t.equal(request?.voiceId, 'bunny/voice 1');
  t.strictSame(request?.query, { output_format: 'pcm_16000', enable_logging: 'false' });
  t.strictSame(request?.body, {
    text: 'Hi',
    model_id: 'eleven_turbo_v2_5',
    voice_settings: { stability: 0.4, similarity_boost: 0.8, style: 0, use_speaker_boost: false, speed: 1.1 },
    language_code: 'en',
  });
});

t.test('odd chunk boundaries reassemble to exactly the samples sent', async (t) => {
  const { fake, tts } = await setup(t);
  const pcm = ramp(2001);
  fake.reply({ kind: 'audio', pcm, chunkBytes: [1, 3, 5, 2, 7, 999, 1, 1, 1, 1501], delayMs: 1 });
  const chunks = await collect(tts.synthesize('Hello', voice, live()));
  t.ok(chunks.length > 1, `${chunks.length} chunks`);
  t.ok(chunks.every((c) => c.length > 0), 'no empty chunks');
  t.strictSame(join(chunks), pcm);

  fake.reply({ kind: 'audio', pcm: ramp(10), trailing: new Uint8Array([0x7f]), chunkBytes: [3] });
  t.strictSame(join(await collect(tts.synthesize('Hello', voice, live()))), ramp(10), 'a dangling half sample at the end is dropped');
});

t.test('yields the first audio before the server has sent it all', async (t) => {
  const { fake, tts } = await setup(t);
  const pcm = ramp(4800);
  const rest = deferred();
  fake.reply({ kind: 'audio', pcm, chunkBytes: [3, 1001], hold: { afterBytes: 3, until: rest.promise } });
  const iterator = tts.synthesize('Hello', voice, live())[Symbol.asyncIterator]();
  const first = await iterator.next();
  t.notOk(first.done);
  t.strictSame(first.value, pcm.subarray(0, 1), 'one whole sample out of three bytes; the odd byte waits');
  t.equal(fake.requests[0]?.sentBytes, 3, 'the server is still holding back the rest');
  rest.resolve();
  const chunks = [first.value as Int16Array];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) chunks.push(next.value);
  t.strictSame(join(chunks), pcm);
});

t.test('a base URL with a path prefix, as behind a proxy', async (t) => {
  const fake = await FakeElevenLabs.start({ pathPrefix: '/proxy/elevenlabs' });
  t.teardown(() => fake.close());
  const tts = new ElevenLabsTts({ apiKey: fake.apiKey, baseUrl: `${fake.url}/`, defaultVoiceId: 'v1' });
  t.ok(join(await collect(tts.synthesize('Hello', voice, live()))).length > 0);
  t.equal(fake.requests[0]?.path, '/proxy/elevenlabs/v1/text-to-speech/v1/stream');
});

t.test('sentences in a row reuse one connection, error replies included', async (t) => {
  const { fake, tts } = await setup(t);
  await collect(tts.synthesize('First sentence.', voice, live()));
  await collect(tts.synthesize('Second sentence.', voice, live()));
  fake.reply({ kind: 'error', status: 500, body: { detail: { status: 'internal', message: 'oops' } } });
  await failure(tts.synthesize('Third sentence.', voice, live()));
  await collect(tts.synthesize('Fourth sentence.', voice, live()));
  t.equal(fake.requests.length, 4);
  t.equal(fake.connections, 1, 'every body was consumed, so the socket went back to the pool');
});

t.test('401: provider_unauthorized, not retryable, and the key is never repeated', async (t) => {
  const secret = 'sk_secret_0123456789';
  const { fake, tts } = await setup(t, { apiKey: secret });
  const wrong = await failure(tts.synthesize('Hello', voice, live()));
  t.type(wrong, ProviderError);
  t.match(wrong, { code: 'provider_unauthorized', retryable: false, message: /HTTP 401: Invalid API key/ });

  // Some servers echo what they were sent; the adapter must not pass it on.
  fake.reply({ kind: 'error', status: 401, body: { detail: { status: 'invalid_api_key', message: `Invalid API key: ${secret}` } } });
  const echoed = await failure(new ElevenLabsTts({ apiKey: secret, baseUrl: fake.url, defaultVoiceId: 'v' }).synthesize('Hello', voice, live()));
  t.match(echoed, { code: 'provider_unauthorized' });
  for (const error of [wrong, echoed]) t.notMatch(inspect(error, { depth: 10 }), secret, 'the key appears nowhere in the error');
});

t.test('422 with a list of details: provider_rejected with what was wrong', async (t) => {
  const { fake, tts } = await setup(t);
  fake.reply({
    kind: 'error',
    status: 422,
    body: { detail: [{ type: 'string_too_long', loc: ['body', 'language_code'], msg: 'String should have at most 2 characters', input: 'eng' }] },
  });
  const error = await failure(tts.synthesize('Hello', voice, live()));
  t.type(error, ProviderError);
  t.match(error, { code: 'provider_rejected', retryable: false, message: /HTTP 422: language_code: String should have at most 2 characters/ });
});

t.test('429 with Retry-After: provider_busy, retryable after the delay asked', async (t) => {
  const { fake, tts } = await setup(t);
  fake.reply({
    kind: 'error',
    status: 429,
    headers: { 'retry-after': '2' },
    body: { detail: { status: 'too_many_concurrent_requests', message: 'Too many concurrent requests' } },
  });
  const error = await failure(tts.synthesize('Hello', voice, live()));
  t.match(error, { code: 'provider_busy', retryable: true, retryAfterMs: 2000, message: /Too many concurrent requests/ });
});

t.test('500: provider_unavailable, retryable', async (t) => {
  const { fake, tts } = await setup(t);
  fake.reply({ kind: 'error', status: 500, body: 'Internal Server Error' });
  const error = await failure(tts.synthesize('Hello', voice, live()));
  t.match(error, { code: 'provider_unavailable', retryable: true, message: /HTTP 500: Internal Server Error/ });
});

t.test('a body cut off midway: the audio so far, then a retryable provider_stream_cut', async (t) => {
  const { fake, tts } = await setup(t);
  const pcm = ramp(3000);
  fake.reply({ kind: 'audio', pcm, chunkBytes: [1001], cutAfterBytes: 3003 });
  const chunks: Int16Array[] = [];
  const error = await failure(tts.synthesize('Hello', voice, live()), chunks);
  t.type(error, ProviderError);
  t.match(error, { code: 'provider_stream_cut', retryable: true, message: /mid-stream after 3003 bytes/ });
  t.strictSame(join(chunks), pcm.subarray(0, 1501), 'every whole sample that arrived');
  t.equal(await fake.requests[0]?.ended, 'server-cut');
});

t.test('a server that never answers: provider_timeout', async (t) => {
  const { fake, tts } = await setup(t, { timeoutMs: 300 });
  fake.reply({ kind: 'silent' });
  const error = await failure(tts.synthesize('Hello', voice, live()));
  t.match(error, { code: 'provider_timeout', retryable: true, message: /sent no audio within 300 ms/ });
  t.equal(await fake.requests[0]?.ended, 'client-closed', 'the request was given up');
});

t.test('a server that stalls mid-stream: provider_timeout, while a slow consumer is not one', async (t) => {
  const { fake, tts } = await setup(t, { timeoutMs: 300 });
  fake.reply({ kind: 'audio', pcm: ramp(2000), chunkBytes: [100], hold: { afterBytes: 1000, until: new Promise(() => {}) } });
  const chunks: Int16Array[] = [];
  const error = await failure(tts.synthesize('Hello', voice, live()), chunks);
  t.match(error, { code: 'provider_timeout', message: /stalled after 1000 bytes/ });
  t.strictSame(join(chunks), ramp(2000).subarray(0, 500));

  // Holding a chunk longer than timeoutMs, as pacing does, must not count against the server:
  // the server sends the rest only once the consumer has held its first chunk for 400 ms.
  const consumed = deferred();
  fake.reply({ kind: 'audio', pcm: ramp(2000), chunkBytes: [1000], hold: { afterBytes: 1000, until: consumed.promise } });
  const slow: Int16Array[] = [];
  for await (const chunk of tts.synthesize('Hello', voice, live())) {
    slow.push(chunk);
    if (slow.length === 1) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      consumed.resolve();
    }
  }
  t.strictSame(join(slow), ramp(2000), 'the slowly consumed stream completed');
});

t.test('nobody listening: provider_unreachable, retryable', async (t) => {
  const fake = await FakeElevenLabs.start();
  const url = fake.url;
  await fake.close();
  const tts = new ElevenLabsTts({ apiKey: 'k', baseUrl: url, defaultVoiceId: 'v' });
  t.match(await failure(tts.synthesize('Hello', voice, live())), { code: 'provider_unreachable', retryable: true, message: /ECONNREFUSED/ });
});

t.test('abort mid-stream: aborted, and the server sees the request dropped', async (t) => {
  const { fake, tts } = await setup(t);
  fake.reply({ kind: 'audio', pcm: ramp(4000), hold: { afterBytes: 1000, until: new Promise(() => {}) } });
  const controller = new AbortController();
  const chunks: Int16Array[] = [];
  const stream = (async () => {
    for await (const chunk of tts.synthesize('Hello', voice, controller.signal)) {
      chunks.push(chunk);
      if (join(chunks).length === 500) controller.abort(new Error('barge-in'));
    }
  })();
  const error = await stream.then(() => undefined, (e: unknown) => e);
  t.type(error, ProviderError);
  t.match(error, { code: 'aborted', retryable: false, message: /barge-in/ });
  t.equal(await fake.requests[0]?.ended, 'client-closed');
});

t.test("an abort while waiting for the server; a turn's deadline stays the turn's error", async (t) => {
  const { fake, tts } = await setup(t);
  fake.reply({ kind: 'silent' }, { kind: 'silent' });
  const controller = new AbortController();
  const waiting = failure(tts.synthesize('Hello', voice, controller.signal));
  await fake.request(1);
  controller.abort(new Error('emergency stop'));
  t.match(await waiting, { code: 'aborted', message: /emergency stop/ });

  const deadline = new ProviderError('turn_deadline', 'the turn ran out of time', { retryable: false });
  const late = new AbortController();
  const timedOut = failure(tts.synthesize('Hello', voice, late.signal));
  await fake.request(2);
  late.abort(deadline);
  t.equal(await timedOut, deadline, 'the very error the turn aborted with');
});

t.test('a consumer that breaks off cancels the response', async (t) => {
  const { fake, tts } = await setup(t);
  fake.reply({ kind: 'audio', pcm: ramp(24000), hold: { afterBytes: 1000, until: new Promise(() => {}) } });
  for await (const chunk of tts.synthesize('Hello', voice, live())) {
    t.ok(chunk.length > 0);
    break;
  }
  t.equal(await fake.requests[0]?.ended, 'client-closed');
});

t.test('text: empty sends nothing, too long fails clearly without a request', async (t) => {
  const { fake, tts } = await setup(t);
  t.strictSame(await collect(tts.synthesize('', voice, live())), []);
  t.strictSame(await collect(tts.synthesize(' \n\t ', voice, live())), []);
  const error = await failure(tts.synthesize('a'.repeat(40_001), voice, live()));
  t.match(error, { code: 'tts_text_too_long', retryable: false, message: /at most 40000 characters .* eleven_flash_v2_5, got 40001/ });
  const multilingual = new ElevenLabsTts({ apiKey: fake.apiKey, baseUrl: fake.url, defaultVoiceId: 'v', modelId: 'eleven_multilingual_v2' });
  t.match(await failure(multilingual.synthesize('a'.repeat(10_001), voice, live())), { code: 'tts_text_too_long', message: /at most 10000/ });
  t.equal(fake.requests.length, 0, 'no request was made');
});

t.test('bad configuration fails at construction, naming the option', async (t) => {
  const ok = { apiKey: 'k', defaultVoiceId: 'v' };
  t.throws(() => new ElevenLabsTts({ ...ok, apiKey: ' ' }), /apiKey/);
  t.throws(() => new ElevenLabsTts({ ...ok, defaultVoiceId: '' }), /defaultVoiceId/);
  t.throws(() => new ElevenLabsTts({ ...ok, outputFormat: 'mp3_44100_128' as never }), /outputFormat/);
  t.throws(() => new ElevenLabsTts({ ...ok, timeoutMs: 0 }), /timeoutMs/);
  t.throws(() => new ElevenLabsTts({ ...ok, baseUrl: 'not a url' }), /baseUrl/);
  t.equal(new ElevenLabsTts({ ...ok, outputFormat: 'pcm_22050' }).sampleRate, 22050);
});

import { once } from 'node:events';
import { createServer } from 'node:net';
import t from 'tap';
import { createOpusDecoder } from '../../../audio/opus-codec.js';
import { decodeWav } from '../../../audio/wav-file.js';
import { ProviderError } from '../provider-error.js';
import { FakeOpenAiTranscriptions } from './testing/fake-openai-transcriptions.js';
import { spokenAudio, streamOf } from './testing/fixtures/spoken-audio.js';
import { fromSegments, OpenAiStt } from './openai-stt.js';
import type { OpenAiSttOptions } from './openai-stt.js';

const KEY = 'sk-test-0123456789abcdefghij';
const never = new AbortController().signal;

const fake = await FakeOpenAiTranscriptions.start({ apiKey: KEY });
t.teardown(() => fake.close());
const speech = await spokenAudio('tell me a story');

function stt(options: Partial<OpenAiSttOptions> = {}): OpenAiStt {
  return new OpenAiStt({ apiKey: KEY, baseUrl: fake.baseUrl, ...options });
}

/** The failure a transcription ends with, or a test failure when it succeeds. */
async function failure(work: Promise<unknown>): Promise<ProviderError> {
  const outcome = await work.then(
    (value) => new Error(`expected a failure, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
  if (!(outcome instanceof ProviderError)) throw outcome;
  return outcome;
}

/** The packets of an Ogg stream and its last granule position: just enough of RFC 3533 to check an upload. */
function oggPackets(file: Buffer): { packets: Buffer[]; lastGranule: bigint } {
  const packets: Buffer[] = [];
  let lastGranule = 0n;
  let partial: Buffer[] = [];
  for (let at = 0; at < file.length; ) {
    if (file.toString('latin1', at, at + 4) !== 'OggS') throw new Error(`no page at ${at}`);
    const count = file[at + 26] ?? 0;
    lastGranule = file.readBigInt64LE(at + 6);
    let body = at + 27 + count;
    for (const size of file.subarray(at + 27, at + 27 + count)) {
      partial.push(file.subarray(body, body + size));
      body += size;
      if (size < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
    at = body;
  }
  return { packets, lastGranule };
}

function correlation(a: Int16Array, b: Int16Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    ab += (a[i] ?? 0) * (b[i] ?? 0);
    aa += (a[i] ?? 0) ** 2;
    bb += (b[i] ?? 0) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

t.test('the request: path, key, fields, and an Ogg Opus file that decodes to the audio sent', async (t) => {
  const before = fake.requests.length;
  fake.answer({ text: ' Tell me a STORY! ' });
  const heard = await stt({ prompt: 'Pommai, dinosaurs, unicorns' }).transcribe(streamOf(speech), never);
  t.same(heard, { text: 'tell me a story', confidence: heard.confidence, rejected: false, firstTextAt: heard.firstTextAt });
  t.equal(fake.requests.length, before + 1, 'one request');
  const request = fake.requests.at(-1);
  t.same(request?.problems, [], 'the fake found nothing wrong with it');
  t.equal(request?.method, 'POST');
  t.equal(request?.path, '/v1/audio/transcriptions');
  t.equal(request?.authorization, `Bearer ${KEY}`);
  t.match(request?.contentType, /^multipart\/form-data; boundary=/);
  t.same(request?.fields, { model: 'whisper-1', language: 'en', prompt: 'Pommai, dinosaurs, unicorns', response_format: 'verbose_json' });
  t.equal(request?.file?.filename, 'speech.ogg');
  t.equal(request?.file?.contentType, 'audio/ogg');

  const { packets, lastGranule } = oggPackets(request?.file?.bytes ?? Buffer.alloc(0));
  t.equal(packets[0]?.toString('latin1', 0, 8), 'OpusHead');
  const preSkip = packets[0]?.readUInt16LE(10) ?? 0;
  const decoder = createOpusDecoder(16_000);
  const decoded = packets.slice(2).map((packet) => decoder.decode(packet));
  const all = new Int16Array(decoded.reduce((n, d) => n + d.length, 0));
  decoded.reduce((at, d) => (all.set(d, at), at + d.length), 0);
  const played = all.subarray(preSkip / 3, Number(lastGranule) / 3);
  t.equal(played.length, speech.length, 'as many samples as were spoken');
  const r = correlation(speech, played);
  t.ok(r > 0.7, `the upload decodes to the speech sent (correlation ${r.toFixed(3)})`);
  t.ok(request !== undefined && request.file !== undefined && request.file.bytes.length < speech.byteLength / 6, `${request?.file?.bytes.length} bytes for ${speech.byteLength} of PCM`);
});

t.test("format 'wav' uploads the very samples", async (t) => {
  fake.answer({ text: 'Tell me a story.' });
  const heard = await stt({ format: 'wav' }).transcribe(streamOf(speech, 333), never);
  t.equal(heard.text, 'tell me a story');
  const request = fake.requests.at(-1);
  t.same(request?.problems, []);
  t.equal(request?.file?.filename, 'speech.wav');
  t.equal(request?.file?.contentType, 'audio/wav');
  const wav = decodeWav(request?.file?.bytes ?? Buffer.alloc(0));
  t.equal(wav.sampleRate, 16_000);
  t.same(Buffer.from(wav.pcm.buffer, wav.pcm.byteOffset, wav.pcm.byteLength), Buffer.from(speech.buffer, speech.byteOffset, speech.byteLength));
  t.equal(request?.fields.prompt, undefined, 'no prompt unless given');
});

t.test('whisper-1: confidence from the segments, and segments Whisper thinks silent are dropped', async (t) => {
  fake.answer({
    text: 'Tell me a story. Thanks for watching!',
    segments: [
      { text: ' Tell me', avg_logprob: -0.1, no_speech_prob: 0.02, tokens: [1, 2, 3] },
      { text: ' a story.', avg_logprob: -0.5, no_speech_prob: 0.1, tokens: [4] },
      { text: ' Thanks for watching!', avg_logprob: -0.9, no_speech_prob: 0.92, tokens: [5, 6, 7, 8] },
    ],
  });
  const heard = await stt().transcribe(streamOf(speech), never);
  t.equal(heard.text, 'tell me a story');
  t.equal(heard.confidence.toFixed(6), Math.exp((-0.1 * 3 - 0.5) / 4).toFixed(6), 'exp of the token-weighted mean log probability');

  fake.answer({ text: 'Thank you.', segments: [{ text: ' Thank you.', avg_logprob: -0.7, no_speech_prob: 0.95 }] });
  t.same(await stt().transcribe(streamOf(speech), never), { text: '', confidence: 0, rejected: false, firstTextAt: undefined }, 'all silence: nothing heard');

  fake.answer({ text: '  ...  ' });
  t.same(await stt().transcribe(streamOf(speech), never), { text: '', confidence: 0, rejected: false, firstTextAt: undefined }, 'punctuation only: nothing heard');

  t.same(fromSegments({ text: 'Hi.' }), { text: 'Hi.', confidence: 1 }, 'no segments: sure of what came back');
  t.same(fromSegments({ text: '', segments: [] }), { text: '', confidence: 0 });
});

t.test('gpt-4o-mini-transcribe streams; the first delta is timed before the rest arrives', async (t) => {
  let release: () => void = () => {};
  const holdDone = new Promise<void>((resolve) => {
    release = resolve;
  });
  fake.answer({ text: 'Why is the sky blue?', deltas: ['Why', ' is the', ' sky blue?'], holdDone });
  // The clock reads how many events the fake had written, then lets it finish: deterministic.
  const clock = (): number => {
    const written = fake.eventsWrittenAt.at(-1)?.length ?? -1;
    release();
    return written;
  };
  const heard = await stt({ model: 'gpt-4o-mini-transcribe', now: clock }).transcribe(streamOf(speech), never);
  t.same(heard, { text: 'why is the sky blue', confidence: 1, rejected: false, firstTextAt: 3 });
  t.equal(heard.firstTextAt, 3, 'taken when only the three deltas were out, before transcript.text.done');
  const request = fake.requests.at(-1);
  t.same(request?.problems, []);
  t.same(request?.fields, { model: 'gpt-4o-mini-transcribe', language: 'en', stream: 'true' });
});

t.test('gpt-4o-transcribe: an empty transcript is nothing heard', async (t) => {
  fake.answer({ text: '', deltas: [] });
  t.same(await stt({ model: 'gpt-4o-transcribe' }).transcribe(streamOf(speech), never), { text: '', confidence: 0, rejected: false, firstTextAt: undefined });
});

t.test('a base URL with a path prefix (a proxy) works', async (t) => {
  const proxied = await FakeOpenAiTranscriptions.start({ apiKey: KEY, basePath: '/proxy/v1' });
  t.teardown(() => proxied.close());
  proxied.answer({ text: 'Hello.' });
  t.match(proxied.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/proxy\/v1$/);
  const heard = await new OpenAiStt({ apiKey: KEY, baseUrl: proxied.baseUrl }).transcribe(streamOf(speech), never);
  t.equal(heard.text, 'hello');
  t.equal(proxied.requests[0]?.path, '/proxy/v1/audio/transcriptions');
  t.same(proxied.requests[0]?.problems, []);
});

t.test('silence and steady noise are never uploaded', async (t) => {
  const before = fake.requests.length;
  t.same(await stt().transcribe(streamOf(new Int16Array(32_000)), never), { text: '', confidence: 0, rejected: false, firstTextAt: undefined });
  t.same(await stt().transcribe(streamOf(new Int16Array(0)), never), { text: '', confidence: 0, rejected: false, firstTextAt: undefined });
  t.equal(fake.requests.length, before, 'no request');
});

t.test('401: unauthorized, not retryable, and the key is never in the error', async (t) => {
  const wrong = 'sk-wrong-9876543210zyxwvu';
  const error = await failure(stt({ apiKey: wrong }).transcribe(streamOf(speech), never));
  t.match(error, { code: 'provider_unauthorized', retryable: false, message: /OpenAI answered HTTP 401: Incorrect API key provided/ });
  // A proxy may quote the whole key back: it must not reach logs either.
  fake.answer({ status: 401, message: `Incorrect API key provided: ${KEY}.` });
  const quoted = await failure(stt().transcribe(streamOf(speech), never));
  t.equal(quoted.code, 'provider_unauthorized');
  for (const [e, key] of [[error, wrong], [quoted, KEY]] as const) {
    const everything = `${e.message} ${e.stack ?? ''} ${String(e.cause ?? '')} ${JSON.stringify(e)}`;
    t.notOk(everything.includes(key), `the key is absent: ${e.message}`);
  }
});

t.test('429 with Retry-After: busy, retryable, and how long to wait', async (t) => {
  fake.answer({ status: 429, message: 'Rate limit reached for whisper-1', headers: { 'retry-after': '2' } });
  t.match(await failure(stt().transcribe(streamOf(speech), never)), { code: 'provider_busy', retryable: true, retryAfterMs: 2000, message: /Rate limit reached/ });
});

t.test('500: unavailable, retryable; 400: rejected, not retryable', async (t) => {
  fake.answer({ status: 500 });
  t.match(await failure(stt().transcribe(streamOf(speech), never)), { code: 'provider_unavailable', retryable: true });
  fake.answer({ status: 502, body: '<html>Bad gateway</html>' });
  t.match(await failure(stt().transcribe(streamOf(speech), never)), { code: 'provider_unavailable', retryable: true, message: /Bad gateway/ });
  fake.answer({ status: 400, message: 'Audio file might be corrupted or unsupported' });
  t.match(await failure(stt().transcribe(streamOf(speech), never)), { code: 'provider_rejected', retryable: false, message: /corrupted or unsupported/ });
});

t.test('a stream cut off midway, or ended without transcript.text.done, is worth a retry', async (t) => {
  fake.answer({ streamDeltas: ['Tell'], then: 'destroy' });
  const cut = await failure(stt({ model: 'gpt-4o-transcribe' }).transcribe(streamOf(speech), never));
  t.equal(cut.retryable, true, `${cut.code}: ${cut.message}`);
  fake.answer({ streamDeltas: ['Tell', ' me'], then: 'end' });
  const short = await failure(stt({ model: 'gpt-4o-transcribe' }).transcribe(streamOf(speech), never));
  t.match(short, { code: 'provider_unavailable', retryable: true, message: /transcript\.text\.done/ });
});

t.test('a server that never answers, or stalls mid-stream, times out', async (t) => {
  fake.answer({ hang: true });
  t.match(await failure(stt({ timeoutMs: 300 }).transcribe(streamOf(speech), never)), { code: 'provider_timeout', retryable: true });
  await fake.waitUntilIdle();
  t.pass('the request was given up');

  fake.answer({ text: 'Tell me a story', deltas: ['Tell'], holdDone: new Promise(() => {}) });
  t.match(await failure(stt({ model: 'gpt-4o-transcribe', timeoutMs: 300 }).transcribe(streamOf(speech), never)), { code: 'provider_timeout', retryable: true });
  await fake.waitUntilIdle();
  t.pass('the stream was given up');
});

t.test('an abort during the request rejects with aborted and closes it', async (t) => {
  const controller = new AbortController();
  fake.answer({ hang: true });
  const count = fake.requests.length;
  const pending = stt().transcribe(streamOf(speech), controller.signal);
  await fake.waitForRequests(count + 1);
  controller.abort(new Error('barge-in'));
  t.match(await failure(pending), { code: 'aborted', message: /barge-in/ });
  await fake.waitUntilIdle();
  t.pass('the connection was closed');

  // The turn's own deadline comes back as itself.
  const deadline = new AbortController();
  const reason = new ProviderError('turn_deadline', 'the turn ran out of time', { retryable: true });
  fake.answer({ hang: true });
  const late = stt({ model: 'gpt-4o-transcribe' }).transcribe(streamOf(speech), deadline.signal);
  await fake.waitForRequests(count + 2);
  deadline.abort(reason);
  t.equal(await failure(late), reason);
  await fake.waitUntilIdle();
});

t.test('more than maxAudioMs is refused as it arrives, without a request', async (t) => {
  const before = fake.requests.length;
  let released = false;
  async function* endless(): AsyncIterable<Int16Array> {
    try {
      for (;;) yield* streamOf(speech);
    } finally {
      released = true;
    }
  }
  const error = await failure(stt({ maxAudioMs: 5000 }).transcribe(endless(), never));
  t.match(error, { code: 'stt_audio_too_long', retryable: false, message: /more than 5 s of audio/ });
  t.equal(fake.requests.length, before, 'nothing sent');
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(released, 'the audio source was let go');
  t.match(await failure(stt().transcribe(endless(), never)), { code: 'stt_audio_too_long', message: /more than 60 s/ }, 'a minute by default');
});

t.test('nobody listening: unreachable, retryable', async (t) => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  const error = await failure(new OpenAiStt({ apiKey: KEY, baseUrl: `http://127.0.0.1:${port}/v1` }).transcribe(streamOf(speech), never));
  t.match(error, { code: 'provider_unreachable', retryable: true, message: /ECONNREFUSED/ });
});

t.test('the fake itself refuses what the API would refuse', async (t) => {
  const post = async (form: FormData, path = '/audio/transcriptions', key = KEY): Promise<{ status: number; message: string }> => {
    const response = await fetch(`${fake.baseUrl}${path}`, { method: 'POST', body: form, headers: { authorization: `Bearer ${key}` } });
    const body = (await response.json()) as { error: { message: string; type: string; param: unknown; code: unknown } };
    t.same(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type'], 'the API error shape');
    return { status: response.status, message: body.error.message };
  };
  const form = (fields: Record<string, string>, file?: { bytes: string; name: string; type: string }): FormData => {
    const data = new FormData();
    for (const [name, value] of Object.entries(fields)) data.append(name, value);
    if (file !== undefined) data.append('file', new Blob([file.bytes], { type: file.type }), file.name);
    return data;
  };
  const ogg = { bytes: 'OggS....', name: 'a.ogg', type: 'audio/ogg' };
  t.match(await post(form({ model: 'whisper-1' }, { ...ogg, bytes: 'RIFF....' })), { status: 400, message: /content type is "audio\/ogg" but its bytes are audio\/wav/ });
  t.match(await post(form({ model: 'whisper-1' }, { ...ogg, name: 'a.aac' })), { status: 400, message: /Unrecognized file format/ });
  t.match(await post(form({}, ogg)), { status: 400, message: /model is required/ });
  t.match(await post(form({ model: 'whisper-1' })), { status: 400, message: /file is required/ });
  t.match(await post(form({ model: 'gpt-4o-transcribe', response_format: 'verbose_json' }, ogg)), { status: 400, message: /not compatible/ });
  t.match(await post(form({ model: 'whisper-1' }, ogg), '/audio/translations'), { status: 404, message: /Invalid URL/ });
  t.match(await post(form({ model: 'whisper-1' }, ogg), '/audio/transcriptions', 'sk-other-key-123456'), { status: 401, message: /Incorrect API key provided: sk-\*+3456/ });
  t.ok(fake.requests.slice(-7).every((request) => request.problems.length > 0), 'each recorded with its problem');
});

t.test('configuration mistakes are caught when constructed', async (t) => {
  t.throws(() => new OpenAiStt({ apiKey: '' }), { code: 'stt_config' });
  t.throws(() => stt({ timeoutMs: 0 }), { code: 'stt_config' });
  t.throws(() => stt({ maxAudioMs: -1 }), { code: 'stt_config' });
  t.throws(() => stt({ format: 'mp3' as 'ogg' }), { code: 'stt_config' });
});

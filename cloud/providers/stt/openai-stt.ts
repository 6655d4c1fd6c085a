import type { OpenAI } from 'openai';
import { FrameChunker } from '../../../audio/frame-chunker.js';
import { encodeOggOpus, OPUS_PRE_SKIP } from '../../../audio/ogg-opus.js';
import { createOpusEncoder } from '../../../audio/opus-codec.js';
import type { OpusEncoder } from '../../../audio/opus-codec.js';
import { encodeWav } from '../../../audio/wav-file.js';
import { UPLINK_AUDIO } from '../../../protocol/index.js';
import { abortError, ProviderError } from '../provider-error.js';
import { httpFailure, networkFailure } from '../http/http-failure.js';
import { normalizePhrase } from './normalize-phrase.js';
import { OPENAI_STT_DEFAULTS } from './openai-stt-defaults.js';
import { SpeechGate } from './speech-gate.js';
import type { Stt, Transcript } from './stt.js';

export interface OpenAiSttOptions {
  readonly apiKey: string;
  /** Default OpenAI's own (OPENAI_STT_DEFAULTS); a proxy or a compatible server may sit elsewhere. */
  readonly baseUrl?: string;
  /** whisper-1 (the default, OPENAI_STT_DEFAULTS), gpt-4o-transcribe or gpt-4o-mini-transcribe (these two are streamed). */
  readonly model?: string;
  /** ISO-639-1; saying it spares the model guessing from a child's few words. */
  readonly language?: string;
  /** A hint: the toy's name and the words children use with it. */
  readonly prompt?: string;
  /** How the audio is uploaded; see DEFAULT_FORMAT. */
  readonly format?: 'ogg' | 'wav';
  /** From the end of the audio to the whole answer, streamed or not. */
  readonly timeoutMs?: number;
  /** Longer audio is refused as soon as it passes this, rather than buffered. */
  readonly maxAudioMs?: number;
  /** The clock `firstTextAt` is read from: the turn's, performance.now() unless told. */
  readonly now?: () => number;
}

export interface OpenAiTranscript extends Transcript {
  /** When the first words were known: the first streamed delta, or the whole answer when not streamed. */
  readonly firstTextAt: number | undefined;
}

/**
 * Measured by bench/stt-upload.ts (espeak-ng speech, 16 kHz, 60 ms voip frames, x86, median of 21):
 *
 *   utterance   WAV         Ogg Opus 16 kbit/s   Ogg Opus 24 kbit/s   encode+mux (24k)   left after release
 *   1 s          31.3 KiB    2.1 KiB (15x less)   3.1 KiB (10x less)    12 ms             0.8 ms
 *   3 s          93.8 KiB    6.0 KiB (16x less)   8.9 KiB (11x less)    35 ms             0.7 ms
 *   10 s        312.5 KiB   19.0 KiB (16x less)  28.3 KiB (11x less)   113 ms             0.9 ms
 *
 * Muxing alone takes 0.03-0.14 ms: the cost is libopus. Frames are encoded while the child
 * speaks, so after the button is released only the last frame and the mux are left. WAV needs
 * no CPU but is 10x the bytes: 2.6 ms more per second of speech at 100 Mbit/s, 26 ms at 10. So
 * Ogg is as fast or faster after release on any uplink below a few hundred Mbit/s and always
 * lighter on the wire; its price is ~1.2 % of a core per child speaking (2-3x that on a loaded
 * machine). 24 kbit/s rather than 16: a third more bytes for the same CPU, headroom for
 * children's voices.
 */
export const DEFAULT_FORMAT = 'ogg';
const OPUS_BITRATE = 24_000;
// What the gateway decodes the uplink to; uploaded at that rate, so nothing is resampled.
const SAMPLE_RATE = UPLINK_AUDIO.sampleRate;
const OPUS_FRAME_MS = 60;
// Whisper's own no_speech_threshold. Its decoder also wants avg_logprob below -1 before it drops
// a segment; alone, it also drops the "Thanks for watching!" Whisper invents over a quiet tail.
const NO_SPEECH_PROB = 0.6;
const NOTHING: OpenAiTranscript = Object.freeze({ text: '', confidence: 0, rejected: false, firstTextAt: undefined });

type Sdk = typeof import('openai');
interface Loaded {
  readonly sdk: Sdk;
  readonly client: OpenAI;
}
interface Upload {
  readonly bytes: Buffer;
  readonly name: string;
  readonly type: string;
}

/**
 * Speech to text with OpenAI's transcription API. Audio is gathered while the child speaks
 * (encoded to Opus on the way, when uploading Ogg) and sent in one request when the stream
 * ends. gpt-4o*-transcribe answers are streamed, so the first words are known early; whisper-1
 * answers verbose_json, whose segments give a confidence. Audio that never sounds like speech
 * is not sent at all: nothing heard, and nothing for Whisper to invent words for.
 */
export class OpenAiStt implements Stt {
  readonly name = 'openai';
  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly model: string;
  private readonly language: string;
  private readonly prompt: string | undefined;
  private readonly format: 'ogg' | 'wav';
  private readonly timeoutMs: number;
  private readonly maxSamples: number;
  private readonly now: () => number;
  private loading: Promise<Loaded> | undefined;

  constructor(options: OpenAiSttOptions) {
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') throw new ProviderError('stt_config', 'OpenAiStt needs an apiKey');
    this.apiKey = options.apiKey;
    this.baseUrl = options.baseUrl ?? OPENAI_STT_DEFAULTS.baseUrl;
    this.model = options.model ?? OPENAI_STT_DEFAULTS.model;
    this.language = options.language ?? 'en';
    this.prompt = options.prompt;
    this.format = options.format ?? DEFAULT_FORMAT;
    this.timeoutMs = Math.ceil(positive('timeoutMs', options.timeoutMs ?? 10_000));
    this.maxSamples = Math.round((positive('maxAudioMs', options.maxAudioMs ?? 60_000) * SAMPLE_RATE) / 1000);
    this.now = options.now ?? (() => performance.now());
    if (this.format !== 'ogg' && this.format !== 'wav') throw new ProviderError('stt_config', `format must be 'ogg' or 'wav', got ${String(this.format)}`);
  }

  async transcribe(audio: AsyncIterable<Int16Array>, signal: AbortSignal): Promise<OpenAiTranscript> {
    if (signal.aborted) throw abortError(signal);
    const utterance = new Utterance(this.format, this.maxSamples);
    await gather(audio, utterance, signal);
    // The abort may have landed just as the audio ended, too late for gather to see it.
    if (signal.aborted) throw abortError(signal);
    if (!utterance.speechLike()) return NOTHING;
    return this.request(utterance.upload(), signal);
  }

  private async request(upload: Upload, signal: AbortSignal): Promise<OpenAiTranscript> {
    // One signal for the SDK: the turn's abort or our own deadline, which covers the whole
    // answer (the SDK's timeout stops at the response headers; a stalled stream outlives it).
    const request = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, this.timeoutMs);
    const cancelled = new Promise<never>((_, reject) => {
      request.signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true });
    });
    cancelled.catch(() => {});
    const onAbort = (): void => request.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) request.abort();
    let loaded: Loaded | undefined;
    const interrupted = (): ProviderError | undefined =>
      signal.aborted ? abortError(signal) : timedOut ? timeout() : undefined;
    try {
      // The first call imports the package; an abort meanwhile need not wait for it.
      loaded = await Promise.race([this.load(), cancelled]);
      const file = await loaded.sdk.toFile(upload.bytes, upload.name, { type: upload.type });
      const common = { file, model: this.model, language: this.language, ...(this.prompt === undefined ? {} : { prompt: this.prompt }) };
      const options = { signal: request.signal };
      let result: { text: string; confidence: number; firstTextAt: number | undefined };
      if (streams(this.model)) {
        const events = await loaded.client.audio.transcriptions.create({ ...common, stream: true }, options);
        let firstTextAt: number | undefined;
        let done: string | undefined;
        // The SDK ends this loop quietly when the request is aborted: hence the check after it.
        for await (const event of events) {
          if (event.type === 'transcript.text.delta' && event.delta !== '') firstTextAt ??= this.now();
          if (event.type === 'transcript.text.done') done = event.text;
        }
        const cut = interrupted();
        if (cut !== undefined) throw cut;
        if (done === undefined) throw new ProviderError('provider_unavailable', 'OpenAI ended the transcript stream before transcript.text.done', { retryable: true });
        // gpt-4o transcription reports no confidence without logprobs: words that came back count as sure.
        result = { text: done, confidence: 1, firstTextAt: firstTextAt ?? this.now() };
      } else if (this.model.startsWith('whisper')) {
        const verbose = await loaded.client.audio.transcriptions.create({ ...common, response_format: 'verbose_json' }, options);
        result = { ...fromSegments(verbose), firstTextAt: this.now() };
      } else {
        const plain = await loaded.client.audio.transcriptions.create({ ...common, response_format: 'json' }, options);
        result = { text: plain.text, confidence: 1, firstTextAt: this.now() };
      }
      const text = normalizePhrase(result.text);
      if (text === '') return NOTHING;
      return { text, confidence: result.confidence, rejected: false, firstTextAt: result.firstTextAt };
    } catch (error) {
      throw interrupted() ?? this.failure(error, loaded?.sdk);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private failure(error: unknown, sdk: Sdk | undefined): ProviderError {
    if (error instanceof ProviderError) return error;
    if (sdk === undefined) return networkFailure('OpenAI', error);
    if (error instanceof sdk.APIConnectionTimeoutError) return timeout();
    if (error instanceof sdk.APIConnectionError) return networkFailure('OpenAI', error.cause ?? error);
    if (error instanceof sdk.APIError) {
      if (error.status === undefined) {
        // An error event inside a stream that had started well.
        return new ProviderError('provider_unavailable', `OpenAI reported an error mid-stream: ${this.redact(error.message)}`, { retryable: true });
      }
      const body = error.error === undefined ? error.message.replace(/^\d+ /, '') : JSON.stringify({ error: error.error });
      return httpFailure('OpenAI', error.status, error.headers ?? new Headers(), this.redact(body));
    }
    // A body cut off mid-read surfaces as undici's "terminated", not as an SDK error.
    return networkFailure('OpenAI', error);
  }

  /** The real API quotes part of a wrong key back; a proxy might quote all of it. */
  private redact(text: string): string {
    return text.split(this.apiKey).join('[api key]');
  }

  // Loaded on first use, so a gateway without a key never pays for the package.
  private load(): Promise<Loaded> {
    if (this.loading === undefined) {
      const loading = import('openai').then(
        (sdk) => ({
          sdk,
          client: new sdk.OpenAI({
            apiKey: this.apiKey,
            baseURL: this.baseUrl,
            // Retries are the turn's decision, never the SDK's.
            maxRetries: 0,
            timeout: this.timeoutMs,
            // Given explicitly so the SDK does not fill them in from OPENAI_* environment variables.
            organization: null,
            project: null,
            webhookSecret: null,
            logLevel: 'off',
          }),
        }),
        (error: unknown) => {
          throw new ProviderError('stt_unavailable', `cannot load the openai package: ${(error as Error).message}`, { cause: error });
        },
      );
      this.loading = loading;
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    }
    return this.loading;
  }
}

/** Reads the audio to its end, racing every read against the abort. */
async function gather(audio: AsyncIterable<Int16Array>, utterance: Utterance, signal: AbortSignal): Promise<void> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  const iterator = audio[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      const step = await Promise.race([iterator.next(), aborted]);
      if (step.done === true) {
        ended = true;
        return;
      }
      utterance.push(step.value);
    }
  } catch (error) {
    if (signal.aborted) throw abortError(signal);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort ?? (() => {}));
    if (!ended) {
      // Not awaited: a source blocked inside next() would hold the caller hostage.
      Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => {});
    }
  }
}

/** One utterance on its way to an upload, bounded: Opus packets for Ogg, a copy of the PCM for WAV. */
class Utterance {
  private readonly gate = new SpeechGate();
  private readonly chunker = new FrameChunker((SAMPLE_RATE * OPUS_FRAME_MS) / 1000);
  private readonly packets: Uint8Array[] = [];
  private readonly pcm: Int16Array[] = [];
  private encoder: OpusEncoder | undefined;
  private samples = 0;

  constructor(
    private readonly format: 'ogg' | 'wav',
    private readonly maxSamples: number,
  ) {}

  push(chunk: Int16Array): void {
    if (this.samples + chunk.length > this.maxSamples) {
      throw new ProviderError('stt_audio_too_long', `more than ${this.maxSamples / SAMPLE_RATE} s of audio: refused rather than buffered`, { retryable: false });
    }
    this.samples += chunk.length;
    this.gate.push(chunk);
    if (this.format === 'wav') {
      this.pcm.push(chunk.slice());
      return;
    }
    for (const frame of this.chunker.push(chunk)) this.packets.push(this.encode(frame));
  }

  speechLike(): boolean {
    return this.gate.speechLike();
  }

  upload(): Upload {
    if (this.format === 'wav') {
      const all = new Int16Array(this.samples);
      let at = 0;
      for (const part of this.pcm) {
        all.set(part, at);
        at += part.length;
      }
      return { bytes: encodeWav(all, SAMPLE_RATE), name: 'speech.wav', type: 'audio/wav' };
    }
    const last = this.chunker.flush();
    const padding = last === undefined ? 0 : this.chunker.frameSamples - (this.samples % this.chunker.frameSamples);
    if (last !== undefined) this.packets.push(this.encode(last));
    // The decoder lags the encoder by its lookahead: one more frame of silence lets the last words out.
    if (padding < OPUS_PRE_SKIP / (48_000 / SAMPLE_RATE)) this.packets.push(this.encode(new Int16Array(this.chunker.frameSamples)));
    const bytes = encodeOggOpus(this.packets, { inputSampleRate: SAMPLE_RATE, inputSamples: this.samples });
    return { bytes, name: 'speech.ogg', type: 'audio/ogg' };
  }

  private encode(frame: Int16Array): Uint8Array {
    try {
      this.encoder ??= createOpusEncoder({ sampleRate: SAMPLE_RATE, frameMs: OPUS_FRAME_MS, bitrate: OPUS_BITRATE, application: 'voip' });
    } catch (error) {
      throw new ProviderError('stt_unavailable', `cannot encode Opus for the upload (format 'wav' needs no encoder): ${(error as Error).message}`, { cause: error });
    }
    return this.encoder.encode(frame);
  }
}

interface VerboseAnswer {
  readonly text: string;
  readonly segments?: readonly { readonly text: string; readonly avg_logprob: number; readonly no_speech_prob: number; readonly tokens?: readonly number[] }[];
}

/**
 * Whisper's text without the segments it thinks were silence, and how sure it was of the rest:
 * exp of the mean token log probability (each segment's average, weighted by its tokens).
 */
export function fromSegments(answer: VerboseAnswer): { text: string; confidence: number } {
  const segments = answer.segments ?? [];
  if (segments.length === 0) return { text: answer.text, confidence: answer.text.trim() === '' ? 0 : 1 };
  const spoken = segments.filter((segment) => !(segment.no_speech_prob > NO_SPEECH_PROB));
  let weighted = 0;
  let tokens = 0;
  for (const segment of spoken) {
    const count = Math.max(1, segment.tokens?.length ?? 0);
    weighted += segment.avg_logprob * count;
    tokens += count;
  }
  if (tokens === 0) return { text: '', confidence: 0 };
  const confidence = Math.min(1, Math.max(0, Math.exp(weighted / tokens)));
  return { text: spoken.map((segment) => segment.text).join(' '), confidence: Number.isFinite(confidence) ? confidence : 0 };
}

/** The models that answer with server-sent events when asked; whisper-1 would ignore stream. */
function streams(model: string): boolean {
  return /^gpt-4o(-mini)?-transcribe/.test(model);
}


function timeout(): ProviderError {
  return networkFailure('OpenAI', new DOMException('OpenAI did not answer in time', 'TimeoutError'));
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new ProviderError('stt_config', `${name} must be a positive number, got ${value}`);
  return value;
}

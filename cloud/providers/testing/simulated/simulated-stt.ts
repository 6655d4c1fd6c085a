import { abortError } from '../../provider-error.js';
import { normalizePhrase } from '../../stt/normalize-phrase.js';
import { SpeechGate } from '../../stt/speech-gate.js';
import type { Stt, Transcript } from '../../stt/stt.js';
import { simulatedDelay } from './simulated-delay.js';
import type { LatencyObserver } from './simulated-latencies.js';

export interface SimulatedSttOptions {
  /** What it hears whenever the audio sounds like speech; a function when it changes from call to call. */
  readonly text: string | (() => string);
  /** From the end of the audio to the transcript, as a streaming recogniser that heard along. */
  readonly latencyMs: number;
  readonly observe?: LatencyObserver;
}

/**
 * A recogniser that hears one configured sentence: it reads the whole utterance as a streaming
 * service would, then answers `latencyMs` after the audio ends. Silence and steady noise are
 * nothing heard (the same speech gate pocketsphinx uses decides), so the turn behaves as with a
 * real recogniser; `simulatedSpeech` makes audio it takes for speech.
 */
export class SimulatedStt implements Stt {
  readonly name = 'simulated';
  private readonly options: SimulatedSttOptions;
  private running = 0;

  constructor(options: SimulatedSttOptions) {
    this.options = options;
  }

  /** Transcriptions still under way. */
  get busy(): number {
    return this.running;
  }

  async transcribe(audio: AsyncIterable<Int16Array>, signal: AbortSignal): Promise<Transcript> {
    if (signal.aborted) throw abortError(signal);
    this.running++;
    try {
      const gate = await listen(audio, signal);
      const waited = await simulatedDelay(this.options.latencyMs, signal);
      this.options.observe?.('stt', this.options.latencyMs, waited);
      const { text } = this.options;
      const heard = gate.speechLike() ? normalizePhrase(typeof text === 'string' ? text : text()) : '';
      return { text: heard, confidence: heard === '' ? 0 : 0.9, rejected: false };
    } finally {
      this.running--;
    }
  }
}

/**
 * Reads the audio to its end through a speech gate. An abort stops the reading at once, even
 * while the source has nothing to give, and lets go of the source.
 */
async function listen(audio: AsyncIterable<Int16Array>, signal: AbortSignal): Promise<SpeechGate> {
  const gate = new SpeechGate();
  const source = audio[Symbol.asyncIterator]();
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
  });
  // Only ever raced, never awaited alone: an abort between two reads must not go unhandled.
  aborted.catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const reading = source.next();
      // After an abort the read may still fail; nobody waits for it then.
      reading.catch(() => {});
      const next = await Promise.race([reading, aborted]);
      if (next.done) return gate;
      gate.push(next.value);
      if (signal.aborted) throw abortError(signal);
    }
  } catch (error) {
    // A read may still be pending: return() waits for it, so it is not awaited here.
    if (signal.aborted) void Promise.resolve(source.return?.()).catch(() => {});
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

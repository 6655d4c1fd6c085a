import { readFile } from 'node:fs/promises';
import { Resampler } from '../../audio/resampler.js';
import { decodeWav } from '../../audio/wav-file.js';
import type { Unsubscribe } from '../button.js';
import { HardwareError } from '../hardware-error.js';
import { MICROPHONE_SAMPLE_RATE } from '../microphone.js';
import type { Microphone } from '../microphone.js';
import { realClock, sleepUntil } from './sim-clock.js';
import type { SimClock } from './sim-clock.js';

export interface WavMicrophoneOptions {
  /** 1 delivers audio in real time; tests use more (20 turns 1 s into 50 ms). */
  speed?: number;
  /** Chunk length, like a sound card's period. Default 20 ms. */
  chunkMs?: number;
  /** How many utterances may wait to be spoken. Default 32. */
  maxUtterances?: number;
  clock?: SimClock;
}

/**
 * A microphone fed from recordings: each capture() speaks the next loaded
 * utterance at the pace of a real microphone, then hears silence until it is
 * aborted. An utterance loaded (or still waiting) while a capture hears silence
 * is spoken from its next chunk on, so a capture that runs for a long time, as
 * in hands-free, hears each utterance when it is loaded. Pacing is scheduled
 * from the capture's start time, so slow timers or a slow reader never make it drift.
 */
export class WavMicrophone implements Microphone {
  readonly sampleRate = MICROPHONE_SAMPLE_RATE;
  readonly speed: number;
  private readonly chunkSamples: number;
  private readonly maxUtterances: number;
  private readonly clock: SimClock;
  private readonly utterances: Int16Array[] = [];
  private readonly endListeners = new Set<() => void>();
  private readonly closing = new AbortController();
  private capturing = false;

  constructor(options: WavMicrophoneOptions = {}) {
    this.speed = options.speed ?? 1;
    if (!(this.speed > 0)) throw new RangeError(`speed must be positive, got ${this.speed}`);
    this.chunkSamples = Math.round((this.sampleRate * (options.chunkMs ?? 20)) / 1000);
    if (this.chunkSamples <= 0) throw new RangeError('chunkMs is too small');
    this.maxUtterances = options.maxUtterances ?? 32;
    this.clock = options.clock ?? realClock;
  }

  /** Utterances waiting to be spoken. */
  get queued(): number {
    return this.utterances.length;
  }

  /** Queues 16 kHz mono samples as the next thing to say. */
  load(pcm: Int16Array): void {
    if (this.closing.signal.aborted) throw new HardwareError('mic_closed', 'the microphone is closed');
    if (this.utterances.length >= this.maxUtterances) {
      throw new HardwareError('mic_queue_full', `${this.maxUtterances} utterances are already waiting`, { retryable: true });
    }
    this.utterances.push(pcm.slice());
  }

  /** Queues a WAV file, mixed to mono and resampled to 16 kHz. */
  async loadWav(path: string): Promise<void> {
    const wav = decodeWav(await readFile(path));
    if (wav.sampleRate === this.sampleRate) {
      this.load(wav.pcm);
      return;
    }
    const resampler = new Resampler(wav.sampleRate, this.sampleRate);
    const head = resampler.push(wav.pcm);
    const tail = resampler.flush();
    const pcm = new Int16Array(head.length + tail.length);
    pcm.set(head, 0);
    pcm.set(tail, head.length);
    this.load(pcm);
  }

  /**
   * Called when an utterance has been completely captured, just before its
   * last chunk is delivered: the moment a scripted run lets go of the button.
   */
  onUtteranceEnd(listener: () => void): Unsubscribe {
    const entry = (): void => listener();
    this.endListeners.add(entry);
    return () => {
      this.endListeners.delete(entry);
    };
  }

  async *capture(signal: AbortSignal): AsyncGenerator<Int16Array, void, undefined> {
    if (this.closing.signal.aborted) throw new HardwareError('mic_closed', 'the microphone is closed');
    if (this.capturing) throw new HardwareError('mic_busy', 'the microphone is already capturing', { retryable: true });
    this.capturing = true;
    // One signal for "the caller aborted" and "the microphone closed"; listeners are removed in finally
    // (AbortSignal.any would keep every capture's signal alive as long as the microphone).
    const stopper = new AbortController();
    const stop = stopper.signal;
    const onAbort = (): void => stopper.abort();
    if (signal.aborted || this.closing.signal.aborted) stopper.abort();
    signal.addEventListener('abort', onAbort);
    this.closing.signal.addEventListener('abort', onAbort);
    try {
      const start = this.clock.now();
      let captured = 0;
      const captureUntil = async (samples: number): Promise<boolean> => {
        await sleepUntil(this.clock, start + (samples * 1000) / this.sampleRate / this.speed, stop);
        return !stop.aborted;
      };
      // Silence between utterances; each waiting utterance is spoken from the next chunk on, so a
      // capture that runs on (hands-free) hears the child whenever a script makes them speak.
      while (!stop.aborted) {
        const utterance = this.utterances.shift();
        if (utterance === undefined) {
          if (!(await captureUntil(captured + this.chunkSamples))) return;
          captured += this.chunkSamples;
          yield new Int16Array(this.chunkSamples);
          continue;
        }
        for (let offset = 0; offset < utterance.length; offset += this.chunkSamples) {
          const chunk = utterance.slice(offset, offset + this.chunkSamples);
          if (!(await captureUntil(captured + chunk.length))) return;
          captured += chunk.length;
          if (offset + this.chunkSamples >= utterance.length) this.utteranceEnded();
          yield chunk;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.closing.signal.removeEventListener('abort', onAbort);
      this.capturing = false;
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.utterances.length = 0;
    this.endListeners.clear();
  }

  private utteranceEnded(): void {
    for (const listener of [...this.endListeners]) listener();
  }
}

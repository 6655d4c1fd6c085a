import { WavFileWriter } from '../../audio/wav-file.js';
import { HardwareError } from '../hardware-error.js';
import type { Speaker } from '../speaker.js';
import { AplayOutput } from './aplay-output.js';
import { realClock, sleepUntil } from './sim-clock.js';
import type { SimClock } from './sim-clock.js';
import { hasPlaybackDevice } from '../sound-card.js';
import type { SoundCardProbe } from '../sound-card.js';

export interface SimSpeakerOptions {
  sampleRate: number;
  /** Everything heard goes into this WAV file (audio cut by stop() is not heard, so not written). */
  wavPath?: string;
  /** 1 plays in real time; tests use more. The sound card is only used at 1. */
  speed?: number;
  /** 'auto' also plays through a sound card when one exists. Default 'off'. */
  soundCard?: 'auto' | 'off';
  /** ALSA device for the sound card. Default 'default'. */
  playbackDevice?: string;
  /** write() waits while more than this much audio is queued. Default 1000 ms. */
  maxQueuedMs?: number;
  /** Tests may answer the sound card question themselves. */
  probe?: SoundCardProbe;
  clock?: SimClock;
}

interface Queued {
  pcm: Int16Array;
  start: number;
  end: number;
}

/**
 * A speaker that keeps time like a real one: a playback clock says when each
 * sample would have been heard, so drain() and backpressure behave as on the
 * device, at any speed. What was heard can be written to a WAV file and, when
 * asked, played through a sound card.
 */
export class SimSpeaker implements Speaker {
  readonly sampleRate: number;
  readonly speed: number;
  private readonly maxQueuedMs: number;
  private readonly clock: SimClock;
  private readonly wav: WavFileWriter | undefined;
  private readonly card: AplayOutput | undefined;
  private readonly queue: Queued[] = [];
  private clockEnd = 0;
  private cut = new AbortController();
  private wavFailure: unknown;
  private played = 0;
  private closed = false;

  private constructor(options: SimSpeakerOptions, wav: WavFileWriter | undefined, card: AplayOutput | undefined) {
    this.sampleRate = options.sampleRate;
    this.speed = options.speed ?? 1;
    this.maxQueuedMs = options.maxQueuedMs ?? 1000;
    this.clock = options.clock ?? realClock;
    this.wav = wav;
    this.card = card;
  }

  static async create(options: SimSpeakerOptions): Promise<SimSpeaker> {
    const speed = options.speed ?? 1;
    if (!Number.isInteger(options.sampleRate) || options.sampleRate <= 0) throw new RangeError(`sampleRate must be a positive integer, got ${options.sampleRate}`);
    if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
    const useCard = options.soundCard === 'auto' && speed === 1 && (await hasPlaybackDevice(options.probe));
    const card = useCard ? new AplayOutput({ sampleRate: options.sampleRate, device: options.playbackDevice ?? 'default' }) : undefined;
    const wav = options.wavPath === undefined ? undefined : await WavFileWriter.open(options.wavPath, options.sampleRate);
    return new SimSpeaker(options, wav, card);
  }

  /** True when a sound card plays along (and has not failed). */
  get usesSoundCard(): boolean {
    return this.card !== undefined && this.card.error === undefined;
  }

  /** Samples heard so far (whole writes, and the heard part of cut ones). */
  get playedSamples(): number {
    this.settle(this.clock.now());
    return this.played;
  }

  async write(pcm: Int16Array): Promise<void> {
    if (this.closed) throw new HardwareError('speaker_closed', 'the speaker is closed');
    if (pcm.length === 0) return;
    const now = this.clock.now();
    this.settle(now);
    const start = Math.max(now, this.clockEnd);
    const end = start + (pcm.length * 1000) / this.sampleRate / this.speed;
    // A copy: the caller may reuse its array while this one waits to be heard.
    const copy = pcm.slice();
    this.queue.push({ pcm: copy, start, end });
    this.clockEnd = end;
    const cut = this.cut.signal;
    await Promise.all([this.card?.write(copy), sleepUntil(this.clock, end - this.maxQueuedMs, cut)]);
  }

  async drain(): Promise<void> {
    const cut = this.cut.signal;
    await sleepUntil(this.clock, this.clockEnd, cut);
    this.settle(this.clock.now());
    // aplay may still hold the tail of the audio: it plays a partial period only at end of input.
    if (this.card !== undefined && !cut.aborted) await this.card.finish();
  }

  stop(): void {
    const now = this.clock.now();
    this.settle(now);
    // The front entry may be half heard: keep that half.
    const playing = this.queue[0];
    if (playing !== undefined && playing.start < now) {
      const heard = Math.floor(((now - playing.start) / (playing.end - playing.start)) * playing.pcm.length);
      this.hear(playing.pcm.subarray(0, heard));
    }
    this.queue.length = 0;
    this.clockEnd = now;
    this.cut.abort();
    this.cut = new AbortController();
    this.card?.stop();
  }

  /** Cuts playback like stop() and finishes the WAV file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    await this.wav?.close();
    if (this.wavFailure !== undefined) {
      throw new HardwareError('speaker_wav_failed', `could not write ${this.wav?.path}: ${String(this.wavFailure)}`, { cause: this.wavFailure });
    }
  }

  /** Moves whatever has finished playing by `now` into the record. */
  private settle(now: number): void {
    while (this.queue.length > 0 && (this.queue[0]?.end ?? Infinity) <= now) {
      const done = this.queue.shift();
      if (done !== undefined) this.hear(done.pcm);
    }
  }

  private hear(pcm: Int16Array): void {
    this.played += pcm.length;
    if (this.wav === undefined || pcm.length === 0) return;
    this.wav.write(pcm).catch((error: unknown) => {
      this.wavFailure ??= error;
    });
  }
}

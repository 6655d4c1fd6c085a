import { UPLINK_AUDIO } from '../../../protocol/index.js';

export interface SpeechGateOptions {
  /** A 10 ms frame this loud (dB of mean square over full scale 0..90) opens the gate. */
  readonly onsetDb?: number;
  /** Speech swings between syllables and gaps; steady hiss, hum or tones do not. */
  readonly minRangeDb?: number;
  /** Audio kept from before the gate opened, so the decoder hears the start of the first word. Default one second. */
  readonly prerollSamples?: number;
}

const FRAME = UPLINK_AUDIO.sampleRate / 100; // 10 ms of the uplink (160 samples at 16 kHz), the decoder's own frame
const BINS = 91; // 0..90 dB: the loudest 16-bit frame is 90.3 dB

/**
 * Decides cheaply whether a stream could hold speech, so silence never starts a decoder and
 * stationary noise is not sent to one that would match it to the nearest phrase. Until a frame
 * is loud enough it keeps a bounded pre-roll; after that it passes chunks straight through.
 * Frame levels go into a fixed histogram, so memory does not grow with the length of the stream.
 */
export class SpeechGate {
  private readonly onsetDb: number;
  private readonly minRangeDb: number;
  private readonly prerollSamples: number;
  private readonly histogram = new Uint32Array(BINS);
  private frameCount = 0;
  private frameEnergy = 0;
  private frameFill = 0;
  private opened = false;
  private preroll: Int16Array[] = [];
  private prerollLength = 0;

  constructor(options: SpeechGateOptions = {}) {
    this.onsetDb = options.onsetDb ?? 40;
    this.minRangeDb = options.minRangeDb ?? 8;
    this.prerollSamples = options.prerollSamples ?? UPLINK_AUDIO.sampleRate;
  }

  /** True once a loud frame has been seen. */
  get open(): boolean {
    return this.opened;
  }

  /**
   * Takes the next chunk and returns what should go to the decoder now: nothing while closed,
   * the pre-roll and this chunk when it opens, then each chunk as it comes.
   */
  push(chunk: Int16Array): Int16Array[] {
    const wasOpen = this.opened;
    this.measure(chunk);
    if (wasOpen) return [chunk];
    if (!this.opened) {
      this.keep(chunk);
      return [];
    }
    const out = [...this.preroll, chunk];
    this.preroll = [];
    this.prerollLength = 0;
    return out;
  }

  /** Whether what went through so far looks like speech rather than silence or steady noise. */
  speechLike(): boolean {
    if (!this.opened || this.frameCount === 0) return false;
    return this.percentile(0.95) - this.percentile(0.1) >= this.minRangeDb;
  }

  private measure(chunk: Int16Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const sample = chunk[i] ?? 0;
      this.frameEnergy += sample * sample;
      if (++this.frameFill < FRAME) continue;
      const db = 10 * Math.log10(Math.max(1, this.frameEnergy / FRAME));
      const bin = Math.min(BINS - 1, Math.floor(db));
      this.histogram[bin] = (this.histogram[bin] ?? 0) + 1;
      this.frameCount++;
      if (db >= this.onsetDb) this.opened = true;
      this.frameEnergy = 0;
      this.frameFill = 0;
    }
  }

  private keep(chunk: Int16Array): void {
    // A copy: the caller may reuse its buffer for the next chunk.
    const copy = chunk.length > this.prerollSamples ? chunk.slice(chunk.length - this.prerollSamples) : chunk.slice();
    this.preroll.push(copy);
    this.prerollLength += copy.length;
    while (this.prerollLength > this.prerollSamples) {
      const first = this.preroll[0];
      if (first === undefined) break;
      const excess = this.prerollLength - this.prerollSamples;
      if (first.length <= excess) {
        this.preroll.shift();
        this.prerollLength -= first.length;
      } else {
        this.preroll[0] = first.subarray(excess);
        this.prerollLength -= excess;
      }
    }
  }

  private percentile(q: number): number {
    const rank = Math.floor(q * (this.frameCount - 1));
    let seen = 0;
    for (let db = 0; db < BINS; db++) {
      seen += this.histogram[db] ?? 0;
      if (seen > rank) return db;
    }
    return BINS - 1;
  }
}

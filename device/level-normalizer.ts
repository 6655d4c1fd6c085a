export interface LevelNormalizerOptions {
  /** The speech level to aim for, as RMS of 16-bit samples. */
  readonly targetRms: number;
  /** The most it will amplify (a quiet child far from the toy), as a factor. */
  readonly maxGain: number;
  /** Below this RMS a chunk is treated as silence: the gain is held, never raised on noise. */
  readonly noiseFloorRms: number;
  /** How fast the gain follows: 0..1 of the way per chunk (smaller is smoother). */
  readonly smoothing: number;
}

export const DEFAULT_LEVEL_NORMALIZER: LevelNormalizerOptions = Object.freeze({ targetRms: 3000, maxGain: 4, noiseFloorRms: 150, smoothing: 0.2 });

/**
 * A slow automatic gain for the microphone: a quiet child is brought up to a
 * level the recogniser likes, a loud one is brought down, and silence is never
 * pumped up into hiss. Gain changes ramp across a chunk and peaks are limited,
 * so it never clicks or clips.
 */
export class LevelNormalizer {
  private gain = 1;

  constructor(private readonly options: LevelNormalizerOptions = DEFAULT_LEVEL_NORMALIZER) {}

  get currentGain(): number {
    return this.gain;
  }

  /** Starts a new utterance from unity gain. */
  reset(): void {
    this.gain = 1;
  }

  process(pcm: Int16Array): Int16Array {
    if (pcm.length === 0) return pcm;
    let sum = 0;
    let peak = 0;
    for (const s of pcm) {
      sum += s * s;
      peak = Math.max(peak, Math.abs(s));
    }
    const rms = Math.sqrt(sum / pcm.length);
    const from = this.gain;
    if (rms >= this.options.noiseFloorRms) {
      const wanted = Math.min(this.options.maxGain, Math.max(1 / this.options.maxGain, this.options.targetRms / rms));
      this.gain = from + (wanted - from) * this.options.smoothing;
    }
    // Never push this chunk's peak past full scale, whatever the smoothing says.
    const limit = peak > 0 ? 32767 / peak : Infinity;
    const to = Math.min(this.gain, limit);
    const start = Math.min(from, limit);
    const out = new Int16Array(pcm.length);
    const step = (to - start) / pcm.length;
    for (let i = 0; i < pcm.length; i++) out[i] = Math.round((pcm[i] as number) * (start + step * (i + 1)));
    this.gain = to;
    return out;
  }
}

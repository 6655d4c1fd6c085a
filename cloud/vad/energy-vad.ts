import { FrameChunker } from '../../audio/frame-chunker.js';
import { PowerSpectrum } from './power-spectrum.js';
import { VAD_SAMPLE_RATE, type Vad } from './vad.js';

/** 30 ms: two windows per 60 ms uplink frame. */
const WINDOW = 480;
/** Speech bands in Hz. Voiced speech lifts several of them at once; hum and rumble mostly sit below. */
const BANDS: readonly (readonly [number, number])[] = [
  [150, 300],
  [300, 500],
  [500, 750],
  [750, 1000],
  [1000, 1400],
  [1400, 2000],
  [2000, 2800],
  [2800, 4000],
  [4000, 6000],
];
/** Band levels never count below this (dB of band power): digital silence must not make the faintest dither "speech". */
const LEVEL_MIN_DB = -95;
/** A band counts from this far above its noise (its typical level plus one standard deviation of it). */
const NOISE_SD_MULTIPLE = 1;
/** Standard deviations below this (dB) are taken as this: even the steadiest hiss wobbles a little. */
const NOISE_SD_MIN_DB = 1;
/** A window teaches the noise estimate only when this far (or two deviations) above it at most: speech must not. */
const NOISE_GATE_DB = 3;
/** Per window (30 ms): a time constant of about one second, long enough to average babble's ups and downs. */
const NOISE_RATE = 0.03;
/**
 * While the floor's memory fills after a start or reset, or after the noise jumped, the estimate
 * moves fast: the stream may have begun with speech, the fan may just have been switched on.
 */
const NOISE_RATE_FRESH = 0.3;
/** The bound lifting the estimate by more than this (dB) means the noise itself changed. */
const RELEARN_JUMP_DB = 10;
/** The logistic that turns the score (dB of excess, the mean of the two bands that stand out most) into a probability: 0.5 at 3 dB, 0.88 at 5 dB. */
const SCORE_CENTER_DB = 3;
const SCORE_SLOPE = 1;
/** Per window, how fast the probability may fall: ends of words and short stops stay speech. */
const RELEASE = 0.8;
/** Windows of sound (90 ms) before the hangover applies. */
const HANGOVER_AFTER = 3;

export interface EnergyVadOptions {
  /** How far back the floor looks for its minimum, in ms: longer copes better with babble, shorter follows a fan switched on sooner. */
  readonly floorMemoryMs?: number;
}

/**
 * A voice detector with no dependencies and little CPU (one 512-point FFT per 30 ms). For each of
 * nine bands between 150 Hz and 6 kHz it keeps a model of the noise: its typical level and how
 * much that level wobbles, learnt from the windows that are not much louder than the noise already
 * is. A band is "speech" by the dB it stands above noise level plus one deviation; the probability
 * follows the two bands that stand out most. Steady noise (hiss, a fan, hum, rumble) becomes the
 * noise model within a second or two; babble wobbles more, which raises the bar in the bands it fills.
 *
 * Below the learnt estimate sits a hard lower bound, the minimum of the smoothed band level over the
 * last `floorMemoryMs` (minimum statistics): when the noise gets louder in one jump, the estimate
 * (which speech must not teach) cannot follow gradually, so the bound lifts it once the old quiet
 * has left the memory. Until then the new noise reads as speech (about 1.7 s for a fan switched on).
 *
 * What it cannot do is tell speech from other sounds that rise above the noise in a few bands:
 * music, a television, knocks in quick succession. bench/vad.ts measures how much that costs
 * against Silero (bench/README.md, "## vad").
 */
export class EnergyVad implements Vad {
  readonly name = 'energy';
  readonly windowSamples = WINDOW;
  private readonly chunker = new FrameChunker(WINDOW);
  private readonly spectrum = new PowerSpectrum(WINDOW);
  private readonly samples = new Float64Array(WINDOW);
  private readonly bins: readonly (readonly [number, number])[];
  private readonly levels = new Float64Array(BANDS.length);
  private readonly smoothed = new Float64Array(BANDS.length);
  private readonly noiseMean = new Float64Array(BANDS.length);
  private readonly noiseVariance = new Float64Array(BANDS.length);
  /** Per band, windows left of learning fast after the noise jumped. */
  private readonly relearn = new Int32Array(BANDS.length);
  private readonly floor: MinimumTracker;
  private readonly memoryWindows: number;
  private seen = 0;
  private probability = 0;
  private run = 0;
  private sustained = false;

  constructor(options: EnergyVadOptions = {}) {
    const memory = options.floorMemoryMs ?? 1500;
    if (!(memory >= 200 && memory <= 60_000)) throw new RangeError(`floorMemoryMs must be 200..60000, got ${memory}`);
    const hz = VAD_SAMPLE_RATE / this.spectrum.size;
    this.bins = BANDS.map(([lo, hi]) => [Math.round(lo / hz), Math.round(hi / hz)] as const);
    const blocks = 6;
    const windowMs = (WINDOW / VAD_SAMPLE_RATE) * 1000;
    const blockLength = Math.max(1, Math.round(memory / windowMs / blocks));
    this.floor = new MinimumTracker(BANDS.length, blockLength, blocks);
    this.memoryWindows = blockLength * blocks;
  }

  async process(pcm: Int16Array): Promise<Float32Array> {
    const windows = this.chunker.push(pcm);
    const out = new Float32Array(windows.length);
    for (let w = 0; w < windows.length; w++) out[w] = this.window(windows[w] as Int16Array);
    return out;
  }

  reset(): void {
    this.chunker.flush();
    this.floor.reset();
    this.relearn.fill(0);
    this.seen = 0;
    this.probability = 0;
    this.run = 0;
    this.sustained = false;
  }

  async close(): Promise<void> {}

  private window(pcm: Int16Array): number {
    for (let i = 0; i < WINDOW; i++) this.samples[i] = (pcm[i] as number) / 32768;
    const power = this.spectrum.compute(this.samples);
    const first = this.seen === 0;
    for (let b = 0; b < this.bins.length; b++) {
      const [lo, hi] = this.bins[b] as readonly [number, number];
      let sum = 0;
      for (let k = lo; k < hi; k++) sum += power[k] as number;
      const level = Math.max(10 * Math.log10(sum + 1e-20), LEVEL_MIN_DB);
      this.levels[b] = level;
      // ~100 ms of smoothing keeps one unusually quiet window of noise from dragging the bound down.
      this.smoothed[b] = first ? level : 0.7 * (this.smoothed[b] as number) + 0.3 * level;
      if (first) {
        this.noiseMean[b] = level;
        this.noiseVariance[b] = 9;
      }
    }
    const floor = this.floor.push(this.smoothed);
    const young = this.seen < this.memoryWindows;
    this.seen++;
    let top = 0;
    let second = 0;
    for (let b = 0; b < this.levels.length; b++) {
      const level = this.levels[b] as number;
      let mean = this.noiseMean[b] as number;
      if ((floor[b] as number) > mean) {
        // The bound had to lift the estimate: the noise changed, so learn it again as at a start.
        if ((floor[b] as number) > mean + RELEARN_JUMP_DB) this.relearn[b] = this.memoryWindows;
        mean = floor[b] as number;
      }
      const fresh = young || (this.relearn[b] as number) > 0;
      if (!young && (this.relearn[b] as number) > 0) this.relearn[b] = (this.relearn[b] as number) - 1;
      const deviation = Math.sqrt(this.noiseVariance[b] as number);
      const excess = Math.min(30, level - (mean + NOISE_SD_MULTIPLE * Math.max(deviation, NOISE_SD_MIN_DB)));
      if (excess > top) {
        second = top;
        top = excess;
      } else if (excess > second) second = excess;
      if (level < mean + Math.max(NOISE_GATE_DB, 2 * deviation)) {
        const d = level - mean;
        mean += (fresh ? NOISE_RATE_FRESH : NOISE_RATE) * d;
        // Clamped while fresh, so a fast fall after a stream that began with speech does not read as wildly wobbling noise.
        const wobble = fresh ? Math.min(d * d, 36) : d * d;
        this.noiseVariance[b] = (1 - NOISE_RATE) * (this.noiseVariance[b] as number) + NOISE_RATE * wobble;
      }
      this.noiseMean[b] = mean;
    }
    // Two bands, not all: speech lifts a few bands at a time (its formants), and a noise that
    // wobbles in one band alone is not enough.
    const score = (top + second) / 2;
    const p = 1 / (1 + Math.exp(-(score - SCORE_CENTER_DB) * SCORE_SLOPE));
    // Hang over only after sustained sound: a knock or a click stays as short as it was.
    this.run = p >= 0.5 ? this.run + 1 : 0;
    if (this.run >= HANGOVER_AFTER) this.sustained = true;
    this.probability = this.sustained ? Math.max(p, this.probability * RELEASE) : p;
    if (this.probability < 0.5) this.sustained = false;
    return this.probability;
  }
}

/**
 * Running minimum per channel over the last `blocks * blockLength` values, kept as the minima of
 * whole blocks so each push costs O(channels * blocks) without a sorted window.
 */
class MinimumTracker {
  private readonly blockMinima: Float64Array[];
  private readonly current: Float64Array;
  private readonly result: Float64Array;
  private inBlock = 0;
  private filledBlocks = 0;
  private next = 0;

  constructor(
    private readonly channels: number,
    private readonly blockLength: number,
    private readonly blocks: number,
  ) {
    this.blockMinima = Array.from({ length: blocks }, () => new Float64Array(channels));
    this.current = new Float64Array(channels).fill(Infinity);
    this.result = new Float64Array(channels);
  }

  push(values: Float64Array): Float64Array {
    for (let c = 0; c < this.channels; c++) this.current[c] = Math.min(this.current[c] as number, values[c] as number);
    for (let c = 0; c < this.channels; c++) {
      let min = this.current[c] as number;
      for (let b = 0; b < this.filledBlocks; b++) min = Math.min(min, (this.blockMinima[b] as Float64Array)[c] as number);
      this.result[c] = min;
    }
    if (++this.inBlock === this.blockLength) {
      (this.blockMinima[this.next] as Float64Array).set(this.current);
      this.next = (this.next + 1) % this.blocks;
      this.filledBlocks = Math.min(this.blocks, this.filledBlocks + 1);
      this.current.fill(Infinity);
      this.inBlock = 0;
    }
    return this.result;
  }

  reset(): void {
    this.current.fill(Infinity);
    this.inBlock = 0;
    this.filledBlocks = 0;
    this.next = 0;
  }
}

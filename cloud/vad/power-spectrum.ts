/**
 * Power spectrum of one short window of audio: a Hann window, zero padding to a power of two and
 * an iterative radix-2 FFT. Tables and buffers are made once, so a call allocates nothing; the
 * returned array is reused by the next call.
 */
export class PowerSpectrum {
  /** FFT length (a power of two, at least the window). Bin k is k * sampleRate / size Hz. */
  readonly size: number;
  private readonly window: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly bitReversed: Uint32Array;
  private readonly power: Float64Array;

  constructor(windowSamples: number) {
    if (!Number.isInteger(windowSamples) || windowSamples < 2) throw new RangeError(`windowSamples must be an integer of at least 2, got ${windowSamples}`);
    let size = 2;
    while (size < windowSamples) size *= 2;
    this.size = size;
    this.window = new Float64Array(windowSamples);
    for (let i = 0; i < windowSamples; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (windowSamples - 1));
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let k = 0; k < size / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    const bits = Math.log2(size);
    this.bitReversed = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.bitReversed[i] = r;
    }
    this.power = new Float64Array(size / 2 + 1);
  }

  /** |X(k)|² for k = 0..size/2 of `samples` (already scaled to -1..1), windowed. */
  compute(samples: Float64Array): Float64Array {
    const { re, im, window, bitReversed, size } = this;
    re.fill(0);
    im.fill(0);
    const n = Math.min(samples.length, window.length);
    for (let i = 0; i < n; i++) re[bitReversed[i] as number] = (samples[i] as number) * (window[i] as number);
    for (let half = 1; half < size; half *= 2) {
      const step = size / (2 * half);
      for (let start = 0; start < size; start += 2 * half) {
        for (let j = 0; j < half; j++) {
          const a = start + j;
          const b = a + half;
          const c = this.cos[j * step] as number;
          const s = this.sin[j * step] as number;
          const br = re[b] as number;
          const bi = im[b] as number;
          const tr = br * c - bi * s;
          const ti = br * s + bi * c;
          const ar = re[a] as number;
          const ai = im[a] as number;
          re[a] = ar + tr;
          im[a] = ai + ti;
          re[b] = ar - tr;
          im[b] = ai - ti;
        }
      }
    }
    for (let k = 0; k <= size / 2; k++) {
      const r = re[k] as number;
      const i = im[k] as number;
      this.power[k] = r * r + i * i;
    }
    return this.power;
  }
}

/**
 * Streaming sample-rate converter by linear interpolation (good enough for
 * speech between 16, 22.05, 24 and 48 kHz). State carries across push() calls,
 * so cutting the input anywhere gives exactly the samples of one big push.
 *
 * Positions are kept as an integer index plus a rational phase, never as a
 * float, so long streams do not drift.
 */
export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  private readonly up: number;
  private readonly down: number;
  // Next output position, relative to `carry` (or to the first sample of the next push when there is none).
  private index = 0;
  private phase = 0;
  private carry: number | undefined;

  constructor(fromRate: number, toRate: number) {
    for (const [name, rate] of [['fromRate', fromRate], ['toRate', toRate]] as const) {
      if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`${name} must be a positive integer, got ${rate}`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    this.up = toRate / g;
    this.down = fromRate / g;
  }

  /** Converts what it can; the last input sample waits for its successor. Equal rates return `pcm` itself. */
  push(pcm: Int16Array): Int16Array {
    if (this.fromRate === this.toRate) return pcm;
    const head = this.carry === undefined ? 0 : 1;
    const length = pcm.length + head;
    if (length === 0) return new Int16Array(0);
    const at = (i: number): number => (i < head ? (this.carry as number) : (pcm[i - head] ?? 0));

    const span = (length - 1 - this.index) * this.up - this.phase;
    const count = span > 0 ? Math.ceil(span / this.down) : 0;
    const out = new Int16Array(count);
    let index = this.index;
    let phase = this.phase;
    for (let k = 0; k < count; k++) {
      const a = at(index);
      const b = at(index + 1);
      out[k] = Math.round(a + ((b - a) * phase) / this.up);
      phase += this.down;
      index += Math.floor(phase / this.up);
      phase %= this.up;
    }
    this.carry = at(length - 1);
    this.index = index - (length - 1);
    this.phase = phase;
    return out;
  }

  /** Emits the samples that fall after the last input sample (holding its value) and resets for a new stream. */
  flush(): Int16Array {
    const out: number[] = [];
    if (this.carry !== undefined && this.fromRate !== this.toRate) {
      while (this.index === 0) {
        out.push(this.carry);
        this.phase += this.down;
        this.index += Math.floor(this.phase / this.up);
        this.phase %= this.up;
      }
    }
    this.carry = undefined;
    this.index = 0;
    this.phase = 0;
    return Int16Array.from(out);
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

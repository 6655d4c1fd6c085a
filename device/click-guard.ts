/**
 * Keeps a speaker's sound from clicking when the stream runs dry. A wave cut
 * mid-swing jumps to silence in one sample, which a speaker plays as a click;
 * so the last few milliseconds of every chunk are held back. When more audio
 * comes in time they go out untouched in front of it; when the stream runs dry
 * they go out faded to zero, and the audio after the gap fades in.
 */
export class ClickGuard {
  private held: Int16Array = new Int16Array(0);
  private resuming = false;

  /** `fadeSamples`: the hold-back and the fade length (5 ms is inaudible as delay, long enough to not click). */
  constructor(readonly fadeSamples: number) {
    if (!Number.isInteger(fadeSamples) || fadeSamples < 1) throw new RangeError(`fadeSamples must be a positive integer, got ${fadeSamples}`);
  }

  /** Whether samples are held back that have not been played. */
  get holding(): boolean {
    return this.held.length > 0;
  }

  /** What to play now for `pcm`: the held samples first, then `pcm` without its last few samples. */
  next(pcm: Int16Array): Int16Array {
    if (this.held.length === this.fadeSamples && pcm.length >= this.fadeSamples && !this.resuming) {
      // The steady state, once per frame: one new array, and the held samples kept in place.
      const out = new Int16Array(pcm.length);
      out.set(this.held);
      out.set(pcm.subarray(0, pcm.length - this.fadeSamples), this.fadeSamples);
      this.held.set(pcm.subarray(pcm.length - this.fadeSamples));
      return out;
    }
    const joined = concat(this.held, pcm);
    if (this.resuming && joined.length > 0) {
      fade(joined, 'in', this.fadeSamples);
      this.resuming = false;
    }
    const cut = Math.max(0, joined.length - this.fadeSamples);
    this.held = joined.slice(cut);
    return joined.subarray(0, cut);
  }

  /** The stream ran dry (or ended): the held samples, faded to silence. What comes next fades in. */
  runOut(extra: Int16Array = new Int16Array(0)): Int16Array {
    const out = concat(this.held, extra);
    this.held = new Int16Array(0);
    if (out.length === 0) return out;
    fade(out, 'out', this.fadeSamples);
    this.resuming = true;
    return out;
  }

  /** Playback was cut: forget what is held; the next sound starts from silence. */
  drop(): void {
    this.held = new Int16Array(0);
    this.resuming = true;
  }
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  if (a.length === 0) return b.slice();
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A raised-cosine ramp over the first (in) or last (out) `length` samples, in place. */
function fade(pcm: Int16Array, direction: 'in' | 'out', length: number): void {
  const n = Math.min(length, pcm.length);
  const start = direction === 'in' ? 0 : pcm.length - n;
  for (let i = 0; i < n; i++) {
    // Gain runs from 0 to 1 (in) or 1 to 0 (out), reaching the end value exactly at the edge sample.
    const position = direction === 'in' ? i / n : (n - 1 - i) / n;
    const gain = 0.5 - 0.5 * Math.cos(Math.PI * position);
    pcm[start + i] = Math.round((pcm[start + i] as number) * gain);
  }
}

/**
 * The last `capacity` samples of a stream, addressed by their position in the stream (the first
 * sample ever appended is position 0). A fixed ring: memory never grows with the stream.
 */
export class SampleHistory {
  readonly capacity: number;
  private readonly ring: Int16Array;
  /** Position of the next sample to be appended: the stream's length so far. */
  private end = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.ring = new Int16Array(capacity);
  }

  /** The stream's length so far. */
  get length(): number {
    return this.end;
  }

  /** Position of the oldest sample still held. */
  get oldest(): number {
    return Math.max(0, this.end - this.capacity);
  }

  append(pcm: Int16Array): void {
    // Only the newest `capacity` samples of a long append can survive it.
    const keep = pcm.length > this.capacity ? pcm.subarray(pcm.length - this.capacity) : pcm;
    this.end += pcm.length - keep.length;
    let at = this.end % this.capacity;
    let from = 0;
    while (from < keep.length) {
      const n = Math.min(keep.length - from, this.capacity - at);
      this.ring.set(keep.subarray(from, from + n), at);
      from += n;
      at = (at + n) % this.capacity;
    }
    this.end += keep.length;
  }

  /** A copy of the samples at positions [from, to), clamped to what is still held. */
  read(from: number, to: number): Int16Array {
    const start = Math.max(from, this.oldest);
    const stop = Math.min(to, this.end);
    if (stop <= start) return new Int16Array(0);
    const out = new Int16Array(stop - start);
    let written = 0;
    let at = start % this.capacity;
    while (written < out.length) {
      const n = Math.min(out.length - written, this.capacity - at);
      out.set(this.ring.subarray(at, at + n), written);
      written += n;
      at = (at + n) % this.capacity;
    }
    return out;
  }

  clear(): void {
    this.end = 0;
  }
}

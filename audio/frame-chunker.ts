/**
 * Cuts a stream of samples into frames of exactly `frameSamples` (Opus wants
 * fixed frames, microphones deliver whatever size they like). Frames are fresh
 * arrays, so callers may keep them.
 */
export class FrameChunker {
  readonly frameSamples: number;
  private readonly pending: Int16Array;
  private filled = 0;

  constructor(frameSamples: number) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
      throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    }
    this.frameSamples = frameSamples;
    this.pending = new Int16Array(frameSamples);
  }

  /** Returns every frame completed by `pcm`; the remainder waits for the next push. */
  push(pcm: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    let offset = 0;
    if (this.filled > 0) {
      const take = Math.min(this.frameSamples - this.filled, pcm.length);
      this.pending.set(pcm.subarray(0, take), this.filled);
      this.filled += take;
      offset = take;
      if (this.filled < this.frameSamples) return frames;
      frames.push(this.pending.slice());
      this.filled = 0;
    }
    while (pcm.length - offset >= this.frameSamples) {
      frames.push(pcm.slice(offset, offset + this.frameSamples));
      offset += this.frameSamples;
    }
    if (offset < pcm.length) {
      this.pending.set(pcm.subarray(offset), 0);
      this.filled = pcm.length - offset;
    }
    return frames;
  }

  /** The last partial frame padded with silence, or undefined when nothing is left. */
  flush(): Int16Array | undefined {
    if (this.filled === 0) return undefined;
    const frame = new Int16Array(this.frameSamples);
    frame.set(this.pending.subarray(0, this.filled), 0);
    this.filled = 0;
    return frame;
  }

  /** Samples waiting for a complete frame. */
  get buffered(): number {
    return this.filled;
  }
}

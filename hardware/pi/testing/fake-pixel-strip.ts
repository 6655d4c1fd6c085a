import type { PixelStrip } from '../neopixel-leds.js';

/** A strip that keeps every frame rendered to it. */
export class FakePixelStrip implements PixelStrip {
  readonly frames: number[][] = [];
  resets = 0;

  get last(): number[] | undefined {
    return this.frames[this.frames.length - 1];
  }

  render(colors: Uint32Array): void {
    this.frames.push(Array.from(colors));
  }

  reset(): void {
    this.resets++;
  }
}

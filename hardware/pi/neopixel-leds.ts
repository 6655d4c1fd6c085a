import type { LedPattern, Leds, Rgb } from '../leds.js';
import { AnimationTimer } from './animation-timer.js';
import { realTimers } from './timers.js';
import type { Timers } from './timers.js';

/** The boundary to a WS281x strip or ring: one 0xRRGGBB word per pixel. */
export interface PixelStrip {
  render(colors: Uint32Array): void;
  /** Turns every pixel off and lets go of the hardware. */
  reset(): void;
}

export interface NeopixelLedsOptions {
  strip: PixelStrip;
  /** Pixels on the strip or ring. */
  count: number;
  /** Half period of 'blink'. Default 400 ms. */
  blinkMs?: number;
  /** A full breath of 'pulse'. Default 2000 ms. */
  pulsePeriodMs?: number;
  /** Time per step of 'spin' (one step moves the light by one pixel). Default 80 ms. */
  spinStepMs?: number;
  /** Time per frame of 'pulse'. Default 50 ms (20 frames a second). */
  frameMs?: number;
  timers?: Timers;
}

// The dimmest point of a pulse, so the toy never looks switched off while it breathes.
const PULSE_FLOOR = 0.1;

/** A ring or strip of WS281x ("NeoPixel") LEDs, animated on its own timer. */
export class NeopixelLeds implements Leds {
  readonly count: number;
  private readonly strip: PixelStrip;
  private readonly blinkMs: number;
  private readonly pulsePeriodMs: number;
  private readonly spinStepMs: number;
  private readonly frameMs: number;
  private readonly animation: AnimationTimer;
  private readonly frame: Uint32Array;
  private closed = false;

  constructor(options: NeopixelLedsOptions) {
    if (!Number.isInteger(options.count) || options.count <= 0) throw new RangeError(`count must be a positive integer, got ${options.count}`);
    this.strip = options.strip;
    this.count = options.count;
    this.blinkMs = options.blinkMs ?? 400;
    this.pulsePeriodMs = options.pulsePeriodMs ?? 2000;
    this.spinStepMs = options.spinStepMs ?? 80;
    this.frameMs = options.frameMs ?? 50;
    this.animation = new AnimationTimer(options.timers ?? realTimers);
    this.frame = new Uint32Array(this.count);
    this.render();
  }

  show(pattern: LedPattern): void {
    if (this.closed) return;
    this.animation.stop();
    const color = pattern.color;
    switch (pattern.animation) {
      case 'off':
        this.fill(color, 0);
        return;
      case 'solid':
        this.fill(color, 1);
        return;
      case 'blink':
        this.fill(color, 1);
        this.animation.start(this.blinkMs, (tick) => this.fill(color, tick % 2 === 1 ? 0 : 1));
        return;
      case 'pulse': {
        this.fill(color, 1);
        const frames = Math.max(2, Math.round(this.pulsePeriodMs / this.frameMs));
        this.animation.start(this.frameMs, (tick) => this.fill(color, breath(tick / frames)));
        return;
      }
      case 'spin':
        this.spin(color, 0);
        this.animation.start(this.spinStepMs, (tick) => this.spin(color, tick));
        return;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.animation.stop();
    this.frame.fill(0);
    this.render();
    this.strip.reset();
  }

  private fill(color: Rgb, level: number): void {
    this.frame.fill(pack(color, level));
    this.render();
  }

  /** A bright head at `step` with a fading two-pixel tail behind it. */
  private spin(color: Rgb, step: number): void {
    this.frame.fill(0);
    const levels = [1, 0.3, 0.1];
    for (let i = Math.min(levels.length, this.count) - 1; i >= 0; i--) {
      const index = (((step - i) % this.count) + this.count) % this.count;
      this.frame[index] = pack(color, levels[i] ?? 0);
    }
    this.render();
  }

  private render(): void {
    this.strip.render(this.frame);
  }
}

/** Brightness at `phase` (in breaths): starts full, dims to the floor at half a breath, back to full. */
export function breath(phase: number): number {
  return PULSE_FLOOR + (1 - PULSE_FLOOR) * (0.5 + 0.5 * Math.cos(2 * Math.PI * phase));
}

/** `color` scaled by `level` (0..1) as 0xRRGGBB. */
export function pack(color: Rgb, level: number): number {
  const [r, g, b] = color.map((c) => Math.max(0, Math.min(255, Math.round(c * level)))) as [number, number, number];
  return ((r << 16) | (g << 8) | b) >>> 0;
}

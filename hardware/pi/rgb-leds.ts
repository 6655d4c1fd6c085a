import type { LedPattern, Leds, Rgb } from '../leds.js';
import { AnimationTimer } from './animation-timer.js';
import type { GpioOutput } from './gpio-line.js';
import { realTimers } from './timers.js';
import type { Timers } from './timers.js';

export interface RgbLedsOptions {
  red: GpioOutput;
  green: GpioOutput;
  blue: GpioOutput;
  /** True for a common-anode LED (a channel lights when its line is low). Default false. */
  activeLow?: boolean;
  /** Half period of 'blink' and 'spin' (a single LED cannot spin). Default 400 ms. */
  blinkMs?: number;
  /** Half period of 'pulse': a slow on/off, as a JavaScript timer is too coarse for software PWM without flicker. Default 1000 ms. */
  pulseMs?: number;
  timers?: Timers;
}

/**
 * One RGB LED on three GPIO lines. Each channel is on or off, so a colour is
 * reduced to the channels at least half as bright as its brightest one
 * (orange shows as red and green; black is off). Animations run on their own timer.
 */
export class RgbLeds implements Leds {
  private readonly lines: readonly [GpioOutput, GpioOutput, GpioOutput];
  private readonly activeLow: boolean;
  private readonly blinkMs: number;
  private readonly pulseMs: number;
  private readonly animation: AnimationTimer;
  private readonly written: Array<number | undefined> = [undefined, undefined, undefined];
  private closed = false;

  constructor(options: RgbLedsOptions) {
    this.lines = [options.red, options.green, options.blue];
    this.activeLow = options.activeLow ?? false;
    this.blinkMs = options.blinkMs ?? 400;
    this.pulseMs = options.pulseMs ?? 1000;
    this.animation = new AnimationTimer(options.timers ?? realTimers);
    this.set([false, false, false]);
  }

  show(pattern: LedPattern): void {
    if (this.closed) return;
    this.animation.stop();
    const on = channels(pattern.color);
    const dark: Channels = [false, false, false];
    switch (pattern.animation) {
      case 'off':
        this.set(dark);
        return;
      case 'solid':
        this.set(on);
        return;
      case 'blink':
      case 'spin':
      case 'pulse': {
        this.set(on);
        const halfPeriod = pattern.animation === 'pulse' ? this.pulseMs : this.blinkMs;
        this.animation.start(halfPeriod, (tick) => this.set(tick % 2 === 1 ? dark : on));
        return;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.animation.stop();
    this.set([false, false, false]);
    for (const line of this.lines) line.close();
  }

  private set(on: Channels): void {
    on.forEach((lit, i) => {
      const level = lit !== this.activeLow ? 1 : 0;
      if (this.written[i] === level) return;
      this.written[i] = level;
      this.lines[i]?.write(level);
    });
  }
}

type Channels = [boolean, boolean, boolean];

/** Which channels light for `color`: those at least half as bright as the brightest. */
export function channels(color: Rgb): Channels {
  const [r, g, b] = color.map((c) => Math.max(0, Math.min(255, Math.round(c)))) as [number, number, number];
  const max = Math.max(r, g, b);
  if (max === 0) return [false, false, false];
  return [r * 2 >= max, g * 2 >= max, b * 2 >= max];
}

import { createRequire } from 'node:module';
import { HardwareError } from '../hardware-error.js';
import type { PixelStrip } from './neopixel-leds.js';

/** The part of rpi-ws281x's API this file uses. */
interface Ws281x {
  configure(options: { leds: number; gpio: number; brightness: number; stripType: string; dma?: number }): void;
  render(pixels: Uint32Array): void;
  reset(): void;
}

export type StripType = 'rgb' | 'grb' | 'brg' | 'bgr';

export interface Ws281xOptions {
  count: number;
  /** GPIO (BCM number) driving the data line: 18 (PWM), 10 (SPI) or 21 (PCM). Default 18. */
  gpio?: number;
  /** Overall brightness 0-255. Default 255. */
  brightness?: number;
  /** Colour order of the LEDs; most WS2812B want 'grb'. Default 'grb'. */
  stripType?: StripType;
  /** Loads the npm package; tests hand in a stand-in. */
  load?: () => Ws281x;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2'] as const;

/**
 * A WS281x strip through the npm package rpi-ws281x, loaded only when asked for.
 * Off a Raspberry Pi (or without root for /dev/mem) configuring fails: that is
 * driver_unavailable.
 */
export function openWs281xStrip(options: Ws281xOptions): PixelStrip {
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  let ws: Ws281x;
  try {
    ws = (options.load ?? (() => createRequire(import.meta.url)('rpi-ws281x') as Ws281x))();
  } catch (error) {
    throw new HardwareError('driver_unavailable', `the npm package rpi-ws281x is not installed or did not build: ${(error as Error).message}`, { cause: error });
  } finally {
    // rpi-ws281x installs handlers that call process.exit() on these signals, which would skip the
    // device's own shutdown; the LEDs are reset by close() instead.
    for (const signal of SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)?.includes(listener)) process.removeListener(signal, listener);
      }
    }
  }
  try {
    ws.configure({ leds: options.count, gpio: options.gpio ?? 18, brightness: options.brightness ?? 255, stripType: options.stripType ?? 'grb' });
  } catch (error) {
    const message = (error as Error).message;
    const why = /Hardware revision is not supported/.test(message) ? 'this is not a supported Raspberry Pi' : 'it could not start (it needs root, or the GPIO is in use)';
    throw new HardwareError('driver_unavailable', `WS281x LEDs are unavailable: ${why}: ${message}`, { cause: error });
  }
  let closed = false;
  return {
    render: (colors) => {
      if (!closed) ws.render(colors);
    },
    reset: () => {
      if (closed) return;
      closed = true;
      ws.reset();
    },
  };
}

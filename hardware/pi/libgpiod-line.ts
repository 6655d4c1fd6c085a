import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { HardwareError } from '../hardware-error.js';
import type { GpioBias, GpioInput, GpioLineAddress, GpioOutput } from './gpio-line.js';
import { realTimers } from './timers.js';
import type { Timers } from './timers.js';

/** The part of node-libgpiod's API this file uses. */
interface LibgpiodLine {
  getValue(): number;
  setValue(value: number): unknown;
  requestInputModeFlags(consumer: string, flags: number): unknown;
  requestOutputMode(consumer: string, defaultValue: number): unknown;
  release(): unknown;
}
interface Libgpiod {
  Chip: new (identifier: number | string) => unknown;
  Line: (new (chip: unknown, offset: number) => LibgpiodLine) & { RequestFlags: { BIAS_PULL_UP: number; BIAS_PULL_DOWN: number } };
}

const CONSUMER = 'pommai';
/** node-libgpiod 0.5 has no edge-event API, so inputs are sampled: 5 ms is well inside a 30 ms debounce. */
export const DEFAULT_POLL_MS = 5;

export interface LibgpiodOptions extends GpioLineAddress {
  /** Where the chip devices live; tests point it elsewhere. Default '/dev'. */
  devDir?: string;
  /** Loads the npm package; tests hand in a stand-in. */
  load?: () => Libgpiod;
}

/** The GPIO character device `/dev/gpiochipN` through node-libgpiod (the way on Raspberry Pi OS bookworm). */
export function openLibgpiodInput(options: LibgpiodOptions & { bias?: GpioBias; pollMs?: number; timers?: Timers }): GpioInput {
  const line = requestLine(options);
  const lib = loaded(options);
  const flags = options.bias === 'pull-down' ? lib.Line.RequestFlags.BIAS_PULL_DOWN : options.bias === 'as-is' ? 0 : lib.Line.RequestFlags.BIAS_PULL_UP;
  guard(options, () => line.requestInputModeFlags(CONSUMER, flags));
  const timers = options.timers ?? realTimers;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  let timer: unknown;
  let closed = false;
  return {
    read: () => line.getValue(),
    watch(listener) {
      let last = line.getValue();
      const poll = (): void => {
        if (closed) return;
        const value = line.getValue();
        if (value !== last) {
          last = value;
          listener(value);
        }
        timer = timers.setTimeout(poll, pollMs);
      };
      timer = timers.setTimeout(poll, pollMs);
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      line.release();
    },
  };
}

export function openLibgpiodOutput(options: LibgpiodOptions): GpioOutput {
  const line = requestLine(options);
  guard(options, () => line.requestOutputMode(CONSUMER, 0));
  let closed = false;
  return {
    write: (value) => {
      if (!closed) line.setValue(value === 0 ? 0 : 1);
    },
    close() {
      if (closed) return;
      closed = true;
      line.setValue(0);
      line.release();
    },
  };
}

const cache = new WeakMap<object, Libgpiod>();
function loaded(options: LibgpiodOptions): Libgpiod {
  const key = options.load ?? loadLibgpiod;
  let lib = cache.get(key);
  if (lib === undefined) {
    try {
      lib = key();
    } catch (error) {
      throw new HardwareError(
        'driver_unavailable',
        'the npm package node-libgpiod is not installed or did not build (it needs the Debian packages libgpiod-dev and gpiod): ' + (error as Error).message,
        { cause: error },
      );
    }
    cache.set(key, lib);
  }
  return lib;
}

function requestLine(options: LibgpiodOptions): LibgpiodLine {
  const device = `${options.devDir ?? '/dev'}/gpiochip${options.chip}`;
  if (!existsSync(device)) {
    throw new HardwareError('driver_unavailable', `GPIO chip ${device} does not exist (not a Raspberry Pi, or the GPIO character device is not enabled)`);
  }
  const lib = loaded(options);
  return guard(options, () => new lib.Line(new lib.Chip(options.chip), options.line));
}

function guard<T>(options: GpioLineAddress, action: () => T): T {
  try {
    return action();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // EBUSY: another process holds the line; it may let go.
    throw new HardwareError('gpio_unavailable', `cannot use GPIO line ${options.line} of gpiochip${options.chip}: ${(error as Error).message}`, {
      retryable: code === 'EBUSY',
      cause: error,
    });
  }
}

function loadLibgpiod(): Libgpiod {
  return createRequire(import.meta.url)('node-libgpiod') as Libgpiod;
}

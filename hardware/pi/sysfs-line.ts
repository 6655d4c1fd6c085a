import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { HardwareError } from '../hardware-error.js';
import type { GpioInput, GpioLineAddress, GpioOutput } from './gpio-line.js';

/** The part of onoff's API this file uses. */
interface OnoffGpio {
  readSync(): number;
  writeSync(value: number): void;
  watch(callback: (error: Error | null | undefined, value: number) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
interface Onoff {
  Gpio: (new (gpio: number, direction: 'in' | 'out', edge?: 'both') => OnoffGpio) & { accessible: boolean };
}

export interface SysfsOptions extends GpioLineAddress {
  /** Root of the sysfs GPIO class; tests point it elsewhere. Default '/sys/class/gpio'. */
  sysfsDir?: string;
  /** Loads the npm package; tests hand in a stand-in. */
  load?: () => Onoff;
}

/**
 * The number sysfs knows a line by. Since kernel 6.6 the Raspberry Pi's chips
 * no longer start at 0 (the main one starts at 512 on a Pi 4), so the line's
 * offset is added to the base of the chip `/dev/gpiochipN` it belongs to.
 */
export function sysfsNumber(address: GpioLineAddress, sysfsDir = '/sys/class/gpio'): number {
  let entries: string[];
  try {
    entries = readdirSync(sysfsDir).filter((name) => name.startsWith('gpiochip'));
  } catch (error) {
    throw new HardwareError('driver_unavailable', `sysfs GPIO (${sysfsDir}) does not exist: not a Raspberry Pi, or a kernel without sysfs GPIO`, { cause: error });
  }
  for (const entry of entries) {
    const dir = join(sysfsDir, entry);
    let devices: string[] = [];
    try {
      devices = readdirSync(join(dir, 'device'));
    } catch {
      // Older kernels: no device link, and the sysfs chip number is its base.
    }
    const matches = devices.includes(`gpiochip${address.chip}`) || (devices.length === 0 && entries.length === 1 && address.chip === 0);
    if (!matches) continue;
    const base = Number(readFileSync(join(dir, 'base'), 'utf8').trim());
    const count = Number(readFileSync(join(dir, 'ngpio'), 'utf8').trim());
    if (address.line >= count) throw new HardwareError('driver_unavailable', `gpiochip${address.chip} has ${count} lines, not line ${address.line}`);
    return base + address.line;
  }
  throw new HardwareError('driver_unavailable', `no sysfs GPIO chip in ${sysfsDir} belongs to gpiochip${address.chip}`);
}

/** The GPIO line through the sysfs interface and onoff (interrupt-driven edges, through epoll). */
export function openSysfsInput(options: SysfsOptions): GpioInput {
  const gpio = exported(options, 'in');
  let closed = false;
  return {
    read: () => gpio.readSync(),
    watch(listener) {
      gpio.watch((error, value) => {
        if (!closed && (error === null || error === undefined)) listener(value);
      });
    },
    close() {
      if (closed) return;
      closed = true;
      gpio.unwatchAll();
      gpio.unexport();
    },
  };
}

export function openSysfsOutput(options: SysfsOptions): GpioOutput {
  const gpio = exported(options, 'out');
  let closed = false;
  return {
    write: (value) => {
      if (!closed) gpio.writeSync(value === 0 ? 0 : 1);
    },
    close() {
      if (closed) return;
      closed = true;
      gpio.writeSync(0);
      gpio.unexport();
    },
  };
}

function exported(options: SysfsOptions, direction: 'in' | 'out'): OnoffGpio {
  const onoff = (options.load ?? loadOnoff)();
  if (!onoff.Gpio.accessible) throw new HardwareError('driver_unavailable', 'sysfs GPIO (/sys/class/gpio) is not accessible here: not a Raspberry Pi, or no permission');
  const number = sysfsNumber(options, options.sysfsDir);
  try {
    return direction === 'in' ? new onoff.Gpio(number, 'in', 'both') : new onoff.Gpio(number, 'out');
  } catch (error) {
    throw new HardwareError('gpio_unavailable', `cannot export sysfs GPIO ${number} (line ${options.line} of gpiochip${options.chip}): ${(error as Error).message}`, { cause: error });
  }
}

function loadOnoff(): Onoff {
  try {
    return createRequire(import.meta.url)('onoff') as Onoff;
  } catch (error) {
    throw new HardwareError('driver_unavailable', 'the npm package onoff is not installed or did not build: ' + (error as Error).message, { cause: error });
  }
}

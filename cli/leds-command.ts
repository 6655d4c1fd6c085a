import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_PATH, loadHardwareConfig } from '../device/device-config-file.js';
import { STATES } from '../device/device-state-machine.js';
import { STATE_PATTERNS, UPDATING_PATTERN } from '../device/led-presenter.js';
import type { LedPattern } from '../hardware/leds.js';
import { openLeds } from '../hardware/hardware-factory.js';
import { UsageError } from './usage-error.js';

const PATTERNS: Readonly<Record<string, LedPattern>> = Object.freeze({ ...STATE_PATTERNS, updating: UPDATING_PATTERN });

export const LEDS_HELP = `pommai leds: show one of the toy's light patterns until stopped

  pommai leds PATTERN [--config FILE]

  PATTERN   ${[...STATES, 'updating'].join(', ')}
  --config  the device's JSON config, for its LED driver (default ${DEFAULT_CONFIG_PATH})

For when the device process is not running: an update stops pommai-device and runs
"pommai leds updating" until it is done (SIGTERM ends it and turns the lights off).`;

export async function ledsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(`${LEDS_HELP}\n`);
    return 0;
  }
  const name = positionals[0];
  const pattern = name !== undefined && Object.hasOwn(PATTERNS, name) ? PATTERNS[name] : undefined;
  if (pattern === undefined) throw new UsageError(`which pattern? one of ${Object.keys(PATTERNS).join(', ')}`);
  const leds = await openLeds(await loadHardwareConfig(values.config ?? DEFAULT_CONFIG_PATH));
  leds.show(pattern);
  // Signal listeners do not keep Node running, and a steady pattern needs no timer: hold on until stopped.
  const holding = setInterval(() => undefined, 60_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(holding);
  await leds.close();
  return 0;
}

import { parseArgs } from 'node:util';
import { SqliteStore } from '../cloud/store/sqlite-store.js';
import type { ParentSettings } from '../cloud/store/store.js';
import { DEFAULT_GATEWAY_CONFIG } from '../cloud/session/gateway-config.js';
import { DEVICE_ID_PATTERN, VOLUME_RANGE } from '../protocol/index.js';
import { UsageError } from './usage-error.js';

export const DEVICES_HELP = `pommai devices: manage the devices a gateway accepts

  pommai devices add ID [--db FILE]    register a device and print its new secret (shown once)
  pommai devices list [--db FILE]      list registered devices and what their parents chose
  pommai devices lock ID [--db FILE]   lock the toy: it shows so and takes no turns
  pommai devices unlock ID [--db FILE]
  pommai devices set ID [--volume N] [--max-volume N] [--db FILE]
                                       the toy's volume and the loudest it may play, ${VOLUME_RANGE.min}-${VOLUME_RANGE.max}
                                       ('default' puts one back to the gateway's)

A running gateway applies changes to a connected toy within a second.`;

export async function devicesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { db: { type: 'string' }, volume: { type: 'string' }, 'max-volume': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [action, id] = positionals;
  if (values.help || !action) {
    process.stdout.write(`${DEVICES_HELP}\n`);
    return values.help ? 0 : 2;
  }
  const store = await SqliteStore.open(values.db ?? DEFAULT_GATEWAY_CONFIG.databasePath);
  try {
    if (action === 'add' && id) {
      if (!DEVICE_ID_PATTERN.test(id)) throw new UsageError(`device id '${id}' must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit`);
      const existed = (await store.listDevices()).some((device) => device.id === id);
      const secret = await store.addDevice(id);
      const what = existed ? `device ${id} already existed: its secret is REPLACED, and the toy must be given the new one` : `device ${id} registered`;
      process.stdout.write(`${what}. Its secret (shown only now):\n${secret}\n`);
      return 0;
    }
    if (action === 'list') {
      for (const device of await store.listDevices()) process.stdout.write(`${device.id}\t${device.createdAt}\t${describeSettings(device.settings)}\n`);
      return 0;
    }
    if ((action === 'lock' || action === 'unlock' || action === 'set') && id) {
      const change: Record<string, number | boolean | null> = {};
      if (action !== 'set') change['locked'] = action === 'lock' ? true : null;
      if (values.volume !== undefined) change['volume'] = volumeArgument('--volume', values.volume);
      if (values['max-volume'] !== undefined) change['maxVolume'] = volumeArgument('--max-volume', values['max-volume']);
      if (Object.keys(change).length === 0) throw new UsageError('set what? --volume N and/or --max-volume N');
      if (!(await store.listDevices()).some((device) => device.id === id)) throw new UsageError(`no device '${id}': add it first with "pommai devices add ${id}"`);
      const settings = await store.updateDeviceSettings(id, change);
      process.stdout.write(`${id}: ${describeSettings(settings)}\n`);
      return 0;
    }
    process.stderr.write(`${DEVICES_HELP}\n`);
    return 2;
  } finally {
    await store.close();
  }
}

function volumeArgument(option: string, value: string): number | null {
  if (value === 'default') return null;
  const volume = Number(value);
  const { min, max } = VOLUME_RANGE;
  if (!Number.isInteger(volume) || volume < min || volume > max) throw new UsageError(`${option} must be a whole number from ${min} to ${max} or 'default', got '${value}'`);
  return volume;
}

function describeSettings(settings: ParentSettings): string {
  const parts = [settings.locked ? 'locked' : 'unlocked'];
  if (settings.volume !== undefined) parts.push(`volume ${settings.volume}`);
  if (settings.maxVolume !== undefined) parts.push(`max volume ${settings.maxVolume}`);
  return parts.join(', ');
}

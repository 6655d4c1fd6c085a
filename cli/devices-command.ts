import { parseArgs } from 'node:util';
import { SqliteStore } from '../cloud/store/sqlite-store.js';
import { DEFAULT_GATEWAY_CONFIG } from '../cloud/gateway-config.js';
import { DEVICE_ID_PATTERN } from '../protocol/index.js';
import { UsageError } from './usage-error.js';

export const DEVICES_HELP = `pommai devices: manage the devices a gateway accepts

  pommai devices add ID [--db FILE]    register a device and print its new secret (shown once)
  pommai devices list [--db FILE]      list registered devices`;

export async function devicesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
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
      for (const device of await store.listDevices()) process.stdout.write(`${device.id}\t${device.createdAt}\n`);
      return 0;
    }
    process.stderr.write(`${DEVICES_HELP}\n`);
    return 2;
  } finally {
    await store.close();
  }
}

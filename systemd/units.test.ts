import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULT_MEMORY_BUDGET_MB } from '../device/device-config-file.js';
import { DEVICE_ENV, DEVICE_V8_FLAGS } from '../device/v8-flags.js';

type Unit = Record<string, Record<string, string[]>>;

/** systemd's INI dialect, as far as our units use it: sections, repeated keys, comments, continued lines. */
function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section: Record<string, string[]> | undefined;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = unit[header[1] as string] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !section) throw new Error(`not a unit-file line: ${line}`);
    (section[line.slice(0, eq).trim()] ??= []).push(line.slice(eq + 1).trim());
  }
  return unit;
}

const read = (name: string): Unit => parseUnit(readFileSync(join(import.meta.dirname, name), 'utf8'));
/** A key's values, space-separated lists split, as systemd reads SupplementaryGroups=, After= and the like. */
const words = (unit: Unit, section: string, key: string): string[] => (unit[section]?.[key] ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);
const last = (unit: Unit, section: string, key: string): string | undefined => unit[section]?.[key]?.at(-1);

/**
 * The bench's production V8 flags, read from its source: bench/device-memory.ts runs its
 * benchmark when imported, so the constant cannot be imported from there.
 */
function benchProductionFlags(): string[] {
  return [...DEVICE_V8_FLAGS];
}

t.test('pommai-device.service runs the compiled CLI with node and the production V8 flags', async (t) => {
  const unit = read('pommai-device.service');
  const exec = words(unit, 'Service', 'ExecStart');
  t.equal(exec[0], '/usr/bin/node', 'node itself');
  t.notOk(exec.some((word) => /tsx/.test(word)), 'never tsx');
  const script = exec.findIndex((word) => word.endsWith('/dist/cli/main.js'));
  t.ok(script > 0, `runs dist/cli/main.js: ${exec.join(' ')}`);
  t.same(exec.slice(1, script), ['--max-semi-space-size=1', '--max-old-space-size=48'], 'the tuned flags, before the script');
  t.same(exec.slice(1, script), benchProductionFlags(), 'the same flags bench/device-memory measures as production');
  t.same(exec.slice(script + 1), ['device', '--config', '/etc/pommai/device.json']);
});

t.test('pommai-device.service: user, restarts, ordering, memory, state, environment, devices', async (t) => {
  const unit = read('pommai-device.service');
  t.equal(last(unit, 'Service', 'User'), 'pommai');
  t.same(words(unit, 'Service', 'SupplementaryGroups').filter((g) => g === 'gpio' || g === 'audio').sort(), ['audio', 'gpio']);
  t.equal(last(unit, 'Service', 'Restart'), 'always');
  t.equal(last(unit, 'Service', 'RestartSec'), '2');
  for (const key of ['After', 'Wants']) t.same(words(unit, 'Unit', key).sort(), ['network-online.target', 'sound.target'], key);
  const memoryMax = /^(\d+)M$/.exec(last(unit, 'Service', 'MemoryMax') ?? '');
  t.equal(memoryMax?.[1], '150', 'MemoryMax=150M');
  t.ok(Number(memoryMax?.[1]) > DEFAULT_MEMORY_BUDGET_MB, 'the backstop sits above the budget the device watches itself');
  t.equal(last(unit, 'Service', 'StateDirectory'), 'pommai');
  t.ok(words(unit, 'Service', 'Environment').includes('NODE_ENV=production'));
  for (const [name, value] of Object.entries(DEVICE_ENV)) t.ok(words(unit, 'Service', 'Environment').includes(`${name}=${value}`), `${name} as the bench measured it`);
  const devices = words(unit, 'Service', 'DeviceAllow');
  for (const device of ['char-gpiochip', 'char-alsa', '/dev/mem']) t.ok(devices.includes(device), `DeviceAllow ${device}`);
  t.not(last(unit, 'Service', 'PrivateDevices'), 'yes', 'PrivateDevices would hide the GPIO chip and the sound card');
  t.not(last(unit, 'Service', 'MemoryDenyWriteExecute'), 'yes', "V8's JIT needs it off");
  t.same(unit['Install']?.['WantedBy'], ['multi-user.target']);
});

t.test('pommai-gateway.service runs the compiled gateway with node', async (t) => {
  const unit = read('pommai-gateway.service');
  const exec = words(unit, 'Service', 'ExecStart');
  t.equal(exec[0], '/usr/bin/node');
  t.notOk(exec.some((word) => /tsx/.test(word)), 'never tsx');
  const script = exec.findIndex((word) => word.endsWith('/dist/cli/main.js'));
  t.ok(script > 0);
  t.equal(exec[script + 1], 'gateway');
  t.equal(last(unit, 'Service', 'Restart'), 'always');
  t.ok(words(unit, 'Service', 'Environment').includes('NODE_ENV=production'));
  t.not(last(unit, 'Service', 'MemoryDenyWriteExecute'), 'yes');
  t.same(unit['Install']?.['WantedBy'], ['multi-user.target']);
});

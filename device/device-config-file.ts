import { open, readFile } from 'node:fs/promises';
import type { HardwareConfig } from '../hardware/hardware-factory.js';
import { DeviceConfigError, deviceConfig, type DeviceConfig } from './device-config.js';

/** What a toy reads at boot: the device's settings, its drivers and its memory budget, each validated and frozen. */
export interface DeviceConfigFile {
  readonly device: DeviceConfig;
  readonly hardware: Readonly<HardwareConfig>;
  readonly memoryBudgetMb: number;
  /** What the file should change but the toy still understood (a renamed key): for the start-up log. */
  readonly warnings: readonly string[];
}

export const DEFAULT_CONFIG_PATH = '/etc/pommai/device.json';
export const DEFAULT_SECRET_FILE = '/etc/pommai/device.secret';
export const DEFAULT_MEMORY_BUDGET_MB = 100;
/** The variable that may hold the device's secret instead of its secret file: for tests and the simulator. */
export const DEVICE_SECRET_VARIABLE = 'POMMAI_DEVICE_SECRET';
/** A Raspberry Pi toy: push-to-talk on GPIO, a WS281x ring, ALSA in and out. */
export const PI_HARDWARE = Object.freeze({ button: 'gpio', leds: 'neopixel', microphone: 'alsa', speaker: 'alsa' } as const);

// Keys are tables checked against the types, so a field added to DeviceConfig or HardwareConfig
// fails to compile here until the file format learns it.
const FILE_KEYS = {
  gatewayUrl: true,
  deviceId: true,
  firmware: true,
  reconnect: true,
  connectTimeoutMs: true,
  uplinkBitrate: true,
  replyTimeoutMs: true,
  errorShowMs: true,
  maxQueuedFrames: true,
  volumeCeiling: true,
  handsFree: true,
  doublePressMs: true,
  secretFile: true,
  memoryBudgetMb: true,
  hardware: true,
} satisfies Record<Exclude<keyof DeviceConfig, 'secret'> | 'secretFile' | 'memoryBudgetMb' | 'hardware', true>;

// Keys since renamed: a toy configured before the rename keeps working (an update must not silence it),
// its log says what to change, and a file with both names is refused (which one would win is a guess).
const RENAMED_KEYS: Readonly<Record<string, keyof typeof FILE_KEYS>> = { maxVolume: 'volumeCeiling' };

const RECONNECT_KEYS = { initialMs: true, maxMs: true } satisfies Record<keyof DeviceConfig['reconnect'], true>;

function choices<T extends string>(all: Record<T, true>): readonly T[] {
  return Object.freeze(Object.keys(all) as T[]);
}

/** The type each hardware key must have; ranges are createHardware's to check. */
type Check = 'string' | 'number' | 'boolean' | 'three numbers' | readonly string[];
const HARDWARE_FIELDS = {
  button: choices<HardwareConfig['button']>({ keyboard: true, scripted: true, gpio: true }),
  leds: choices<HardwareConfig['leds']>({ terminal: true, recording: true, neopixel: true, rgb: true }),
  microphone: choices<HardwareConfig['microphone']>({ wav: true, alsa: true }),
  speaker: choices<HardwareConfig['speaker']>({ sim: true, alsa: true }),
  alsaCaptureDevice: 'string',
  alsaPlaybackDevice: 'string',
  speakerWavPath: 'string',
  speed: 'number',
  soundCard: choices<NonNullable<HardwareConfig['soundCard']>>({ auto: true, off: true }),
  speakerSampleRate: 'number',
  gpioBackend: choices<NonNullable<HardwareConfig['gpioBackend']>>({ libgpiod: true, sysfs: true }),
  gpioChip: 'number',
  buttonLine: 'number',
  buttonDebounceMs: 'number',
  buttonLongPressMs: 'number',
  rgbLines: 'three numbers',
  rgbActiveLow: 'boolean',
  neopixelCount: 'number',
  neopixelLine: 'number',
  neopixelBrightness: 'number',
} satisfies Record<keyof HardwareConfig, Check>;

/**
 * Reads the device's JSON config file (e.g. /etc/pommai/device.json) and the
 * secret beside it. The secret comes from DEVICE_SECRET_VARIABLE when `env` has
 * it, else from `secretFile`, which must be private to its owner. Errors are
 * DeviceConfigErrors naming the file and the key; none ever holds the secret.
 */
export async function loadDeviceConfigFile(path: string, env: NodeJS.ProcessEnv): Promise<DeviceConfigFile> {
  const bad = (key: string, why: string): never => {
    throw new DeviceConfigError(`${path}: '${key}' ${why}`);
  };
  const input = parseObject(path, await readText(path));
  const warnings: string[] = [];
  for (const key of Object.keys(input)) {
    // A typo on a toy is silent otherwise: the default wins and nobody sees why.
    if (key === 'secret') bad(key, 'does not belong in the config file: put it in the file named by secretFile (chmod 600)');
    if (Object.hasOwn(RENAMED_KEYS, key)) {
      const now = RENAMED_KEYS[key]!;
      if (Object.hasOwn(input, now)) bad(key, `is the old name of '${now}', which is also set: keep only '${now}'`);
      warnings.push(`${path}: '${key}' is now called '${now}': rename it in the file`);
      input[now] = input[key];
      delete input[key];
      continue;
    }
    if (!Object.hasOwn(FILE_KEYS, key)) bad(key, `is not a known key (known: ${Object.keys(FILE_KEYS).join(', ')})`);
  }
  if (input['firmware'] !== undefined && typeof input['firmware'] !== 'string') bad('firmware', 'must be a string');
  if (input['reconnect'] !== undefined) {
    const reconnect = input['reconnect'];
    if (!isObject(reconnect)) bad('reconnect', 'must be an object { "initialMs": ..., "maxMs": ... }');
    for (const key of Object.keys(reconnect as object)) if (!Object.hasOwn(RECONNECT_KEYS, key)) bad(`reconnect.${key}`, 'is not a known key (known: initialMs, maxMs)');
  }
  const secretFile = input['secretFile'] ?? DEFAULT_SECRET_FILE;
  if (typeof secretFile !== 'string' || secretFile === '') bad('secretFile', 'must be the path of the file holding the secret');
  const memoryBudgetMb = input['memoryBudgetMb'] ?? DEFAULT_MEMORY_BUDGET_MB;
  if (typeof memoryBudgetMb !== 'number' || !Number.isInteger(memoryBudgetMb) || memoryBudgetMb < 40 || memoryBudgetMb > 512) bad('memoryBudgetMb', 'must be an integer in 40..512');
  const hardware = hardwareConfig(input['hardware'], bad);

  const { secret, from } = await readSecret(path, secretFile as string, env);
  const { secretFile: _file, memoryBudgetMb: _budget, hardware: _hardware, ...settings } = input;
  let device: DeviceConfig;
  try {
    device = deviceConfig({ ...settings, secret } as Parameters<typeof deviceConfig>[0]);
  } catch (error) {
    if (!(error instanceof DeviceConfigError)) throw error;
    // deviceConfig's messages name the key but never echo the secret, so they are safe to pass on.
    throw new DeviceConfigError(`${path}: ${error.message}${/'secret'/.test(error.message) ? ` (read from ${from})` : ''}`);
  }
  return Object.freeze({ device, hardware, memoryBudgetMb: memoryBudgetMb as number, warnings: Object.freeze(warnings) });
}

/** Only the hardware section of the config file: what a helper that drives the LEDs alone needs (no secret). */
export async function loadHardwareConfig(path: string): Promise<Readonly<HardwareConfig>> {
  const input = parseObject(path, await readText(path));
  return hardwareConfig(input['hardware'], (key, why) => {
    throw new DeviceConfigError(`${path}: '${key}' ${why}`);
  });
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DeviceConfigError(`device config file ${path} does not exist`);
    throw new DeviceConfigError(`cannot read device config file ${path}: ${code ?? (error as Error).message}`);
  }
}

function parseObject(path: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DeviceConfigError(`device config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new DeviceConfigError(`device config file ${path} must hold a JSON object`);
  return value;
}

function hardwareConfig(value: unknown, bad: (key: string, why: string) => never): Readonly<HardwareConfig> {
  if (value !== undefined && !isObject(value)) bad('hardware', 'must be an object such as { "button": "gpio", "leds": "neopixel", ... }');
  const config: Record<string, unknown> = { ...PI_HARDWARE, ...(value as object | undefined) };
  for (const [key, field] of Object.entries(config)) {
    const name = `hardware.${key}`;
    if (!Object.hasOwn(HARDWARE_FIELDS, key)) bad(name, `is not a known key (known: ${Object.keys(HARDWARE_FIELDS).join(', ')})`);
    const check: Check = HARDWARE_FIELDS[key as keyof HardwareConfig];
    if (typeof check !== 'string') {
      if (!check.includes(field as string)) bad(name, `must be one of ${check.map((c) => `"${c}"`).join(', ')}, got ${JSON.stringify(field)}`);
    } else if (check === 'three numbers') {
      if (!Array.isArray(field) || field.length !== 3 || !field.every((n) => typeof n === 'number')) bad(name, 'must be three numbers [red, green, blue]');
    } else if (typeof field !== check) bad(name, `must be a ${check}, got ${JSON.stringify(field)}`);
  }
  return Object.freeze(config as unknown as HardwareConfig);
}

/**
 * The device's secret from DEVICE_SECRET_VARIABLE in `env`, trimmed as a secret file's is; undefined
 * when unset or empty. The one reader of that variable, for every command that starts a device, each
 * passing the environment it read at its top.
 */
export function secretFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const value = env[DEVICE_SECRET_VARIABLE]?.trim();
  return value ? value : undefined;
}

/** The secret and where it came from (for messages: the secret itself never goes into one). */
async function readSecret(path: string, secretFile: string, env: NodeJS.ProcessEnv): Promise<{ secret: string; from: string }> {
  const fromEnv = secretFromEnv(env);
  if (fromEnv !== undefined) return { secret: fromEnv, from: DEVICE_SECRET_VARIABLE };
  const bad = (why: string): never => {
    throw new DeviceConfigError(`${path}: 'secretFile' ${secretFile} ${why}`);
  };
  const handle = await open(secretFile, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') bad(`does not exist: write the secret "pommai devices add" printed into it (chmod 600), or set ${DEVICE_SECRET_VARIABLE}`);
    return bad(`cannot be read (${error.code ?? error.message}): it must belong to the user the device runs as`);
  });
  try {
    // The mode is checked on the open file, so the file read is the file checked.
    const stats = await handle.stat();
    if (!stats.isFile()) bad('is not a file');
    if ((stats.mode & 0o077) !== 0) {
      bad(`can be read by group or others (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}): a toy's secret must be private; run chmod 600 ${secretFile}`);
    }
    return { secret: (await handle.readFile('utf8')).trim(), from: `secret file ${secretFile}` };
  } finally {
    await handle.close();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

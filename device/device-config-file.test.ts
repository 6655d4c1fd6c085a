import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { DeviceConfigError } from './device-config.js';
import { DEVICE_SECRET_VARIABLE, loadDeviceConfigFile, secretFromEnv } from './device-config-file.js';

const SECRET = 'a-very-private-toy-secret';

/** A config file and a private secret file in a fresh directory; `config` is merged into a minimal good one. */
async function setup(t: Test, config: Record<string, unknown> = {}, secretMode = 0o600) {
  // One test may set up several cases; each gets its own directory.
  const dir = await mkdtemp(join(t.testdir(), 'case-'));
  const secretFile = join(dir, 'device.secret');
  await writeFile(secretFile, `${SECRET}\n`);
  await chmod(secretFile, secretMode);
  const path = join(dir, 'device.json');
  await writeFile(path, JSON.stringify({ gatewayUrl: 'wss://gateway.example/v1/device', deviceId: 'toy-1', secretFile, ...config }));
  return { dir, path, secretFile };
}

/** Rejects with a DeviceConfigError whose message matches every pattern and never holds the secret. */
async function refused(t: Test, promise: Promise<unknown>, ...patterns: RegExp[]) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof DeviceConfigError, `a DeviceConfigError: ${String(error)}`);
  const e = error as DeviceConfigError;
  t.equal(e.code, 'bad_config');
  t.equal(e.retryable, false);
  for (const pattern of patterns) t.match(e.message, pattern);
  t.notOk(e.message.includes(SECRET), 'the secret is not in the message');
}

t.test('a full file: every setting, the hardware and the secret from its file', async (t) => {
  const { path } = await setup(t, {
    volumeCeiling: 90,
    memoryBudgetMb: 120,
    reconnect: { initialMs: 1000 },
    hardware: { button: 'gpio', leds: 'neopixel', microphone: 'alsa', speaker: 'alsa', alsaCaptureDevice: 'plughw:1,0', alsaPlaybackDevice: 'plughw:1,0', buttonLine: 17 },
  });
  const loaded = await loadDeviceConfigFile(path, {});
  t.match(loaded.device, { gatewayUrl: 'wss://gateway.example/v1/device', deviceId: 'toy-1', secret: SECRET, volumeCeiling: 90, reconnect: { initialMs: 1000, maxMs: 30_000 } });
  t.same(loaded.hardware, { button: 'gpio', leds: 'neopixel', microphone: 'alsa', speaker: 'alsa', alsaCaptureDevice: 'plughw:1,0', alsaPlaybackDevice: 'plughw:1,0', buttonLine: 17 });
  t.equal(loaded.memoryBudgetMb, 120);
  t.ok(Object.isFrozen(loaded) && Object.isFrozen(loaded.device) && Object.isFrozen(loaded.hardware), 'all frozen');
});

t.test('defaults: Pi drivers, a 100 MB budget, the device defaults', async (t) => {
  const { path } = await setup(t);
  const loaded = await loadDeviceConfigFile(path, {});
  t.same(loaded.hardware, { button: 'gpio', leds: 'neopixel', microphone: 'alsa', speaker: 'alsa' });
  t.equal(loaded.memoryBudgetMb, 100);
  t.match(loaded.device, { volumeCeiling: 100, connectTimeoutMs: 5000, firmware: '0.1.0' });
  const partial = await setup(t, { hardware: { leds: 'rgb' } });
  t.same((await loadDeviceConfigFile(partial.path, {})).hardware, { button: 'gpio', leds: 'rgb', microphone: 'alsa', speaker: 'alsa' }, 'missing choices take the Pi default');
});

t.test('the secret from POMMAI_DEVICE_SECRET wins, and then no secret file is needed', async (t) => {
  const { path } = await setup(t, { secretFile: join(t.testdir(), 'absent.secret') });
  const loaded = await loadDeviceConfigFile(path, { POMMAI_DEVICE_SECRET: 'secret-from-the-environment' });
  t.equal(loaded.device.secret, 'secret-from-the-environment');
});

t.test('one reader of the secret variable: trimmed, and unset when empty', async (t) => {
  t.equal(DEVICE_SECRET_VARIABLE, 'POMMAI_DEVICE_SECRET', 'the name users know');
  t.equal(secretFromEnv({ POMMAI_DEVICE_SECRET: ` ${SECRET}\n` }), SECRET);
  t.equal(secretFromEnv({ POMMAI_DEVICE_SECRET: '' }), undefined);
  t.equal(secretFromEnv({}), undefined);
});

t.test('a missing file, bad JSON, not an object', async (t) => {
  const dir = t.testdir();
  const missing = join(dir, 'nowhere.json');
  await refused(t, loadDeviceConfigFile(missing, {}), /does not exist/, new RegExp(missing));
  const broken = join(dir, 'broken.json');
  await writeFile(broken, '{ "gatewayUrl": ');
  await refused(t, loadDeviceConfigFile(broken, {}), /not valid JSON/, new RegExp(broken));
  const list = join(dir, 'list.json');
  await writeFile(list, '[]');
  await refused(t, loadDeviceConfigFile(list, {}), /must hold a JSON object/);
});

t.test('unknown keys are errors naming the key, at the top and in hardware and reconnect', async (t) => {
  const top = await setup(t, { volumeCeilling: 50 });
  await refused(t, loadDeviceConfigFile(top.path, {}), /'volumeCeilling' is not a known key \(known: /, new RegExp(top.path));
  const hw = await setup(t, { hardware: { buttonPin: 17 } });
  await refused(t, loadDeviceConfigFile(hw.path, {}), /'hardware\.buttonPin' is not a known key/);
  const rc = await setup(t, { reconnect: { initialMs: 100, max: 5 } });
  await refused(t, loadDeviceConfigFile(rc.path, {}), /'reconnect\.max' is not a known key/);
  const inline = await setup(t, { secret: SECRET });
  await refused(t, loadDeviceConfigFile(inline.path, {}), /'secret' does not belong in the config file/);
});

t.test("a file from before the rename keeps its toy working: 'maxVolume' is read as 'volumeCeiling', and the log says so", async (t) => {
  const renamed = await setup(t, { maxVolume: 40 });
  const loaded = await loadDeviceConfigFile(renamed.path, {});
  t.equal(loaded.device.volumeCeiling, 40);
  t.same(loaded.warnings, [`${renamed.path}: 'maxVolume' is now called 'volumeCeiling': rename it in the file`]);
  t.same((await loadDeviceConfigFile((await setup(t, { volumeCeiling: 40 })).path, {})).warnings, [], 'a file with the new name has nothing to say');
  const both = await setup(t, { maxVolume: 40, volumeCeiling: 60 });
  await refused(t, loadDeviceConfigFile(both.path, {}), /'maxVolume' is the old name of 'volumeCeiling', which is also set/, new RegExp(both.path));
});

t.test('bad values name the key: a hardware choice, a hardware type, the budget, a device setting', async (t) => {
  const choice = await setup(t, { hardware: { button: 'gpoi' } });
  await refused(t, loadDeviceConfigFile(choice.path, {}), /'hardware\.button' must be one of "keyboard", "scripted", "gpio", got "gpoi"/);
  const type = await setup(t, { hardware: { buttonLine: '17' } });
  await refused(t, loadDeviceConfigFile(type.path, {}), /'hardware\.buttonLine' must be a number/);
  const notObject = await setup(t, { hardware: 'pi' });
  await refused(t, loadDeviceConfigFile(notObject.path, {}), /'hardware' must be an object/);
  const budget = await setup(t, { memoryBudgetMb: 20 });
  await refused(t, loadDeviceConfigFile(budget.path, {}), /'memoryBudgetMb' must be an integer in 40\.\.512/);
  const volume = await setup(t, { volumeCeiling: 150 });
  await refused(t, loadDeviceConfigFile(volume.path, {}), /'volumeCeiling' must be an integer in 0\.\.100/, new RegExp(volume.path));
  const url = await setup(t, { gatewayUrl: 'http://x' });
  await refused(t, loadDeviceConfigFile(url.path, {}), /'gatewayUrl'/);
});

t.test('a secret file readable by group or others is refused with chmod 600', async (t) => {
  for (const mode of [0o640, 0o604, 0o644]) {
    const { path, secretFile } = await setup(t, {}, mode);
    await refused(t, loadDeviceConfigFile(path, {}), /'secretFile'/, /group or others/, new RegExp(`chmod 600 ${secretFile}`));
  }
});

t.test('secret file problems: missing, too short; the secret is in no message', async (t) => {
  const missing = await setup(t, { secretFile: join(t.testdir(), 'absent.secret') });
  await refused(t, loadDeviceConfigFile(missing.path, {}), /'secretFile' .*absent\.secret does not exist/, /POMMAI_DEVICE_SECRET/);
  const short = await setup(t);
  await writeFile(short.secretFile, 'short\n');
  await refused(t, loadDeviceConfigFile(short.path, {}), /'secret' must be/, /read from secret file/);
  // Every failure after the secret has been read must still keep it out of the message.
  const late = await setup(t, { volumeCeiling: -1 });
  await refused(t, loadDeviceConfigFile(late.path, {}), /'volumeCeiling'/);
  await refused(t, loadDeviceConfigFile(late.path, { POMMAI_DEVICE_SECRET: SECRET }), /'volumeCeiling'/);
  const badId = await setup(t, { deviceId: 'not ok!' });
  await refused(t, loadDeviceConfigFile(badId.path, { POMMAI_DEVICE_SECRET: SECRET }), /'deviceId'/);
});

t.test('hands-free at start and the double press window: defaults, a good file, bad values naming the key', async (t) => {
  const { path } = await setup(t);
  t.match((await loadDeviceConfigFile(path, {})).device, { handsFree: false, doublePressMs: 400 }, 'push-to-talk by default, the gesture on');
  const on = await setup(t, { handsFree: true, doublePressMs: 0 });
  t.match((await loadDeviceConfigFile(on.path, {})).device, { handsFree: true, doublePressMs: 0 });
  const word = await setup(t, { handsFree: 'yes' });
  await refused(t, loadDeviceConfigFile(word.path, {}), /'handsFree' must be true or false/, new RegExp(word.path));
  const slow = await setup(t, { doublePressMs: 5000 });
  await refused(t, loadDeviceConfigFile(slow.path, {}), /'doublePressMs' must be an integer in 0\.\.1000/);
});

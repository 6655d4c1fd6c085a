import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t, { type Test } from 'tap';

const CLI = join(import.meta.dirname, '..', 'cli', 'main.ts');
const WAIT_MS = 30_000;

type Entry = Record<string, unknown>;

/** Runs `pommai ARGS` as a real child process (through tsx, as the tests run the sources); stderr is read line by line. */
function pommai(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderrLines: string[] = [];
  const onStderrLine = new Set<(line: string) => void>();
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrLines.push(line);
    for (const listener of onStderrLine) listener(line);
  });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (line) => lines.push(line));
  const exit = once(child, 'exit').then(([code]) => code as number);
  const stderr = () => stderrLines.join('\n');
  /** The first JSON log line on stderr that matches, already written or yet to come, within a bound. */
  const logLine = (match: (entry: Entry) => boolean, what: string): Promise<Entry> =>
    new Promise((resolve, reject) => {
      const check = (line: string): boolean => {
        let entry: Entry;
        try {
          entry = JSON.parse(line) as Entry;
        } catch {
          return false;
        }
        if (!match(entry)) return false;
        clearTimeout(timer);
        onStderrLine.delete(check);
        resolve(entry);
        return true;
      };
      const timer = setTimeout(() => {
        onStderrLine.delete(check);
        reject(new Error(`no log line with ${what} within ${WAIT_MS} ms; stderr:\n${stderr()}`));
      }, WAIT_MS);
      if (!stderrLines.some(check)) onStderrLine.add(check);
    });
  return { child, lines, exit, stderr, stderrLines, logLine, rl };
}

/** A gateway child on a fresh database with one registered device; returns its URL and the device's secret. */
async function gatewayWithDevice(t: Test, deviceId: string) {
  const db = join(t.testdir(), 'gateway.db');
  const add = pommai(['devices', 'add', deviceId, '--db', db]);
  t.equal(await add.exit, 0, add.stderr());
  const secret = add.lines.at(-1) ?? '';
  const gateway = pommai(['gateway', '--port', '0', '--db', db, '--log-level', 'warn']);
  t.teardown(() => void gateway.child.kill('SIGKILL'));
  const [line] = (await once(gateway.rl, 'line')) as [string];
  const { url } = JSON.parse(line) as { url: string };
  return { url, secret, gateway };
}

const SIMULATED = { button: 'scripted', leds: 'recording', microphone: 'wav', speaker: 'sim' };

/** device.json and a chmod 600 secret file in the test's directory. */
async function deviceFiles(t: Test, config: Record<string, unknown>, secret = 'unused-secret-value') {
  const dir = t.testdir();
  const secretFile = join(dir, 'device.secret');
  await writeFile(secretFile, `${secret}\n`);
  await chmod(secretFile, 0o600);
  const path = join(dir, 'device.json');
  await writeFile(path, JSON.stringify({ secretFile, ...config }));
  return path;
}

// An outer POMMAI_DEVICE_SECRET would win over the secret file under test.
const NO_ENV_SECRET = { POMMAI_DEVICE_SECRET: '' };

t.test('pommai device --config: simulated drivers reach a real gateway; SIGTERM stops it cleanly', async (t) => {
  const { url, secret } = await gatewayWithDevice(t, 'toy-9');
  const config = await deviceFiles(t, { gatewayUrl: url, deviceId: 'toy-9', hardware: SIMULATED }, secret);
  const device = pommai(['device', '--config', config], NO_ENV_SECRET);
  t.teardown(() => void device.child.kill('SIGKILL'));
  t.match(await device.logLine((e) => e['message'] === 'device starting', 'device starting'), { level: 'info', service: 'device', deviceId: 'toy-9', hardware: SIMULATED, memoryBudgetMb: 100 });
  t.match(await device.logLine((e) => e['message'] === 'link up', 'link up'), { level: 'info', sessionId: String });
  t.match(await device.logLine((e) => e['message'] === 'state' && e['state'] === 'idle', 'state idle'), { level: 'info', previous: 'offline' });
  device.child.kill('SIGTERM');
  t.equal(await device.exit, 0, 'exits 0 on SIGTERM');
  t.ok(device.stderrLines.every((line) => JSON.parse(line) as unknown), 'every stderr line is a JSON log line');
  t.ok(device.stderrLines.some((line) => line.includes('"device stopped"')), 'it says it stopped');
  t.notOk(device.stderr().includes(secret), 'the secret is never logged');
});

t.test('a GPIO button on a machine without GPIO: one line naming what is missing, exit 1', { skip: existsSync('/dev/gpiochip0') ? 'this machine has /dev/gpiochip0' : false }, async (t) => {
  const config = await deviceFiles(t, { gatewayUrl: 'ws://127.0.0.1:9/v1/device', deviceId: 'toy-9', hardware: { ...SIMULATED, button: 'gpio' } });
  const device = pommai(['device', '--config', config], NO_ENV_SECRET);
  t.equal(await device.exit, 1);
  t.equal(device.stderrLines.length, 1, `one line: ${device.stderr()}`);
  const entry = JSON.parse(device.stderrLines[0] ?? '{}') as Entry;
  t.match(entry, { level: 'error', code: 'driver_unavailable', message: /^cannot start: GPIO chip \/dev\/gpiochip0 does not exist/ });
  t.notMatch(device.stderr(), /\n\s+at /, 'no stack trace');
});

t.test('a config file with an unknown key: a message naming the key and the file, exit 1', async (t) => {
  const config = await deviceFiles(t, { gatewayUrl: 'ws://127.0.0.1:9/v1/device', deviceId: 'toy-9', maxVolum: 80, hardware: SIMULATED });
  const device = pommai(['device', '--config', config], NO_ENV_SECRET);
  t.equal(await device.exit, 1);
  t.equal(device.stderrLines.length, 1, `one line: ${device.stderr()}`);
  t.match(JSON.parse(device.stderrLines[0] ?? '{}'), { level: 'error', code: 'bad_config', message: /'maxVolum' is not a known key/ });
  t.ok(device.stderr().includes(config), 'the file is named');
});

t.test('a wrong secret: the gateway refuses, the log says unauthorized, the toy keeps running', async (t) => {
  const { url, gateway } = await gatewayWithDevice(t, 'toy-9');
  const wrong = 'wrong-secret-value-123';
  const config = await deviceFiles(t, { gatewayUrl: url, deviceId: 'toy-9', hardware: SIMULATED }, wrong);
  const device = pommai(['device', '--config', config], NO_ENV_SECRET);
  t.teardown(() => void device.child.kill('SIGKILL'));
  t.match(await device.logLine((e) => e['code'] === 'unauthorized', 'code unauthorized'), { level: 'error', message: 'device error', retryable: false });
  t.match(await device.logLine((e) => e['message'] === 'reconnecting', 'reconnecting'), { inMs: Number }, 'it will try again later');
  t.equal(device.child.exitCode, null, 'still running');
  device.child.kill('SIGTERM');
  t.equal(await device.exit, 0);
  t.notOk(device.stderr().includes(wrong) || gateway.stderr().includes(wrong), 'the secret is in no log');
});

t.test('over its memory budget, the toy restarts itself between turns (here: locked by a parent, so no turn runs)', async (t) => {
  const { url, secret } = await gatewayWithDevice(t, 'toy-9');
  const db = join(t.testdirName, 'gateway.db');
  const lock = pommai(['devices', 'lock', 'toy-9', '--db', db]);
  t.equal(await lock.exit, 0, lock.stderr());
  // 40 MB is the smallest budget allowed, and well below what Node itself takes: critical at the first check.
  const config = await deviceFiles(t, { gatewayUrl: url, deviceId: 'toy-9', memoryBudgetMb: 40, hardware: SIMULATED }, secret);
  const device = pommai(['device', '--config', config], NO_ENV_SECRET);
  t.teardown(() => void device.child.kill('SIGKILL'));
  t.match(await device.logLine((e) => e['message'] === 'state' && e['state'] === 'locked', 'state locked'), { level: 'info' });
  t.match(await device.logLine((e) => e['message'] === 'memory critical', 'memory critical'), { level: 'error', budgetMb: 40 });
  t.match(await device.logLine((e) => e['message'] === 'device restarting: memory critical', 'the restart'), { level: 'info' });
  t.equal(await device.exit, 1, 'exits for systemd to start it fresh');
});

t.test('help shows both modes; simulator options without --sim are usage errors', async (t) => {
  const help = pommai(['device', '--help']);
  t.equal(await help.exit, 0);
  t.match(help.lines.join('\n'), /--config FILE[\s\S]*--sim/);
  const mixed = pommai(['device', '--say', 'hello']);
  t.equal(await mixed.exit, 2);
  t.match(mixed.stderr(), /--say needs --sim/);
  const both = pommai(['device', '--sim', '--config', 'x.json']);
  t.equal(await both.exit, 2);
  t.match(both.stderr(), /--config is for the toy/);
});

t.test('pommai leds updating shows the update pattern on the configured LEDs until SIGTERM', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'device.json');
  // No secret is needed: only the hardware section is read.
  await writeFile(config, JSON.stringify({ gatewayUrl: 'ws://127.0.0.1:1/v1/device', deviceId: 'toy-1', hardware: { button: 'scripted', leds: 'terminal', microphone: 'wav', speaker: 'sim' } }));
  const run = pommai(['leds', 'updating', '--config', config]);
  const shown = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no pattern shown: ${run.stderr()}`)), WAIT_MS);
    run.child.stderr.on('data', (data: Buffer) => {
      if (String(data).includes('updating')) {
        clearTimeout(timer);
        resolve(String(data));
      }
    });
  });
  t.match(shown, /updating/);
  // It must hold the pattern until told to stop; only waiting can show that it did not end by itself.
  const ended = await Promise.race([run.exit.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('holding'), 500))]);
  t.equal(ended, 'holding', 'still showing the pattern');
  run.child.kill('SIGTERM');
  t.equal(await run.exit, 0);
  const bad = pommai(['leds', 'dancing', '--config', config]);
  t.equal(await bad.exit, 2);
  t.match(bad.stderr(), /one of .*locked.*updating/);
  const gpio = join(dir, 'gpio.json');
  await writeFile(gpio, JSON.stringify({ hardware: { leds: 'rgb' } }));
  const offPi = pommai(['leds', 'updating', '--config', gpio]);
  if (!existsSync('/dev/gpiochip0')) {
    t.equal(await offPi.exit, 1);
    t.match(offPi.stderr(), /gpiochip0/);
  } else offPi.child.kill('SIGTERM');
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { rms } from '../audio/pcm-level.js';
import { decodeWav } from '../audio/wav-file.js';

const CLI = join(import.meta.dirname, '..', 'cli', 'main.ts');

/** Runs `pommai ARGS` as a real child process (through tsx, as the tests run the sources). */
function pommai(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (line) => lines.push(line));
  const exit = once(child, 'exit').then(([code]) => code as number);
  return { child, lines, exit, stderr: () => stderr, rl };
}

function jsonLines(lines: string[]): Array<Record<string, unknown>> {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

t.test('pommai sim --say "tell me a story" --json: transcript, a story, audio, a summary', async (t) => {
  const dir = t.testdir();
  const out = join(dir, 'reply.wav');
  const run = pommai(['sim', '--say', 'tell me a story', '--json', '--speed', '8', '--data-dir', dir, '--out', out]);
  const code = await run.exit;
  t.equal(code, 0, run.stderr());
  const events = jsonLines(run.lines);
  t.ok(events.every((e) => typeof e['type'] === 'string'), 'every line is a JSON object with a type');
  t.match(events.find((e) => e['type'] === 'transcript'), { text: 'tell me a story' });
  const replies = events.filter((e) => e['type'] === 'reply');
  t.ok(replies.length >= 3, `${replies.length} reply sentences`);
  t.ok(events.some((e) => e['type'] === 'state' && e['state'] === 'speaking'));
  const turn = events.find((e) => e['type'] === 'turn');
  t.match(turn, { end: 'played', gateway: { stt: Number, firstAudio: Number, total: Number } });
  const summary = events.at(-1);
  t.match(summary, { type: 'summary', turns: 1 });
  const wav = decodeWav(await readFile(out));
  t.ok(wav.pcm.length / wav.sampleRate > 3 && rms(wav.pcm) > 300, 'the reply audio was written and is not silence');
});

t.test('speech outside what the toy understands becomes "I didn\'t catch that"', async (t) => {
  const dir = t.testdir();
  const run = pommai(['sim', '--say', 'the quarterly revenue exceeded analyst expectations', '--json', '--speed', '8', '--data-dir', dir]);
  t.equal(await run.exit, 0, run.stderr());
  const events = jsonLines(run.lines);
  t.match(events.find((e) => e['type'] === 'transcript'), { text: '' });
  t.match(events.find((e) => e['type'] === 'reply'), { text: /didn't catch that/ });
});

t.test('gateway and device as separate processes that find each other by URL', async (t) => {
  const dir = t.testdir();
  const db = join(dir, 'gateway.db');
  const add = pommai(['devices', 'add', 'toy-7', '--db', db]);
  t.equal(await add.exit, 0, add.stderr());
  const secret = add.lines.at(-1) ?? '';
  t.match(secret, /^[A-Za-z0-9_-]{20,}$/, 'a secret was issued');

  const gateway = pommai(['gateway', '--port', '0', '--db', db, '--pacing-rate', '8', '--log-level', 'warn']);
  t.teardown(() => void gateway.child.kill('SIGKILL'));
  const [line] = (await once(gateway.rl, 'line')) as [string];
  const { url } = JSON.parse(line) as { url: string };
  t.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/v1\/device$/);

  const device = pommai(['device', '--sim', '--url', url, '--device-id', 'toy-7', '--say', 'what does a cow say', '--json', '--speed', '8'], { POMMAI_DEVICE_SECRET: secret });
  t.equal(await device.exit, 0, device.stderr());
  const events = jsonLines(device.lines);
  t.match(events.find((e) => e['type'] === 'transcript'), { text: 'what does a cow say' });
  t.match(events.filter((e) => e['type'] === 'reply').map((e) => e['text']).join(' '), /moo/i);
  t.notOk(device.stderr().includes(secret), 'the secret is never printed');

  const wrong = pommai(['device', '--sim', '--url', url, '--device-id', 'toy-7', '--say', 'hello', '--json', '--speed', '8'], { POMMAI_DEVICE_SECRET: 'wrong-secret-value' });
  // A refused device never comes up; the run gives up with a clear error instead of hanging.
  t.equal(await wrong.exit, 1);
  t.match(jsonLines(wrong.lines).find((e) => e['type'] === 'error'), { code: 'unauthorized' }, 'refused, not merely unreachable');
  t.notOk(gateway.stderr().includes(secret) || gateway.stderr().includes('wrong-secret-value'), 'the gateway logs no secret');

  // A parent locks the toy from another process while the gateway runs.
  const lock = pommai(['devices', 'lock', 'toy-7', '--db', db]);
  t.equal(await lock.exit, 0, lock.stderr());
  t.match(lock.lines.join('\n'), /toy-7: locked/);
  const locked = pommai(['device', '--sim', '--url', url, '--device-id', 'toy-7', '--say', 'hello', '--json', '--speed', '8'], { POMMAI_DEVICE_SECRET: secret });
  t.equal(await locked.exit, 1, 'a scripted turn on a locked toy fails at once');
  const lockedEvents = jsonLines(locked.lines);
  t.ok(lockedEvents.some((e) => e['type'] === 'state' && e['state'] === 'locked'), 'the toy shows it is locked');
  t.match(lockedEvents.find((e) => e['type'] === 'error'), { code: 'locked' });
  const set = pommai(['devices', 'set', 'toy-7', '--max-volume', '50', '--db', db]);
  t.equal(await set.exit, 0, set.stderr());
  const unlock = pommai(['devices', 'unlock', 'toy-7', '--db', db]);
  t.equal(await unlock.exit, 0, unlock.stderr());
  const list = pommai(['devices', 'list', '--db', db]);
  t.equal(await list.exit, 0);
  t.match(list.lines.join('\n'), /toy-7\t\S+\tunlocked, max volume 50/);
  const badVolume = pommai(['devices', 'set', 'toy-7', '--volume', 'loud', '--db', db]);
  t.equal(await badVolume.exit, 2);
  t.match(badVolume.stderr(), /--volume must be a whole number/);

  gateway.child.kill('SIGTERM');
  t.equal(await gateway.exit, 0, 'the gateway stops cleanly on SIGTERM');
});

t.test('help and usage errors', async (t) => {
  const help = pommai(['--help']);
  t.equal(await help.exit, 0);
  t.match(help.lines.join('\n'), /pommai sim/);
  const unknown = pommai(['fly']);
  t.equal(await unknown.exit, 2);
  t.match(unknown.stderr(), /unknown command 'fly'/);
  const noSecret = pommai(['device', '--sim', '--url', 'ws://127.0.0.1:1/v1/device'], { POMMAI_DEVICE_SECRET: '' });
  t.equal(await noSecret.exit, 2, 'a usage error exits 2');
  t.match(noSecret.stderr(), /POMMAI_DEVICE_SECRET/);
  const badId = pommai(['devices', 'add', 'bad id!', '--db', join(t.testdir(), 'g.db')]);
  t.equal(await badId.exit, 2);
  t.match(badId.stderr(), /device id 'bad id!'/);
  const badHeader = pommai(['gateway', '--port', '0', '--db', join(t.testdir(), 'g.db'), '--client-address-header', 'bad header']);
  t.equal(await badHeader.exit, 2, 'a bad gateway setting from a flag is a usage error');
  t.match(badHeader.stderr(), /clientAddressHeader/);
});

t.test('pommai device names the gateway it could not reach, and why', async (t) => {
  const run = pommai(['device', '--sim', '--url', 'ws://127.0.0.1:9/v1/device', '--say', 'hello', '--json', '--speed', '8'], { POMMAI_DEVICE_SECRET: 'some-long-secret' });
  t.equal(await run.exit, 1);
  const error = jsonLines(run.lines).find((e) => e['type'] === 'error');
  t.match(error, { code: 'gateway_unreachable', message: /ws:\/\/127\.0\.0\.1:9\/v1\/device: .*ECONNREFUSED/ });
});

t.test('Ctrl-C while waiting for a gateway ends the run, rather than the 30 s wait for a welcome', async (t) => {
  const run = pommai(['device', '--sim', '--url', 'ws://127.0.0.1:9/v1/device', '--say', 'hello', '--json', '--speed', '8'], { POMMAI_DEVICE_SECRET: 'some-long-secret' });
  await new Promise((resolve) => run.child.stdout.once('data', resolve));
  run.child.kill('SIGINT');
  const bound = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000).unref());
  t.not(await Promise.race([run.exit, bound]), 'still running', 'it exited well before the welcome wait would have ended');
  run.child.kill('SIGKILL');
});

t.test('killing pommai sim stops its gateway too', async (t) => {
  const dir = t.testdir();
  const run = pommai(['sim', '--say', 'tell me a story', '--json', '--data-dir', dir]);
  // Wait until the toy speaks, then kill the simulator without warning.
  await new Promise<void>((resolve) => run.rl.on('line', (line) => line.includes('"speaking"') && resolve()));
  const gatewayPids = (await import('node:child_process')).execFileSync('pgrep', ['-P', String(run.child.pid)]).toString().trim().split('\n').map(Number);
  t.ok(gatewayPids.length >= 1, 'the gateway runs as a child process');
  run.child.kill('SIGKILL');
  await run.exit;
  for (const pid of gatewayPids) {
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 10_000;
      const check = () => {
        try {
          process.kill(pid, 0);
          if (Date.now() > deadline) reject(new Error(`gateway ${pid} still running`));
          else setTimeout(check, 50);
        } catch {
          resolve();
        }
      };
      check();
    });
    t.pass(`gateway ${pid} is gone`);
  }
});

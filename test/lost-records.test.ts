import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t, { type Test } from 'tap';
import { createOpusEncoder } from '../audio/opus-codec.js';
import { startGateway } from '../cloud/gateway-main.js';
import { ProviderError } from '../cloud/providers/provider-error.js';
import { gatewayConfig } from '../cloud/session/gateway-config.js';
import { conversationFallbackPathFor } from '../cloud/store/conversation-log.js';
import { SqliteStore } from '../cloud/store/sqlite-store.js';
import type { Store, TurnRecord } from '../cloud/store/store.js';
import { silentLog } from '../log/log.js';
import { AudioKind, UPLINK_AUDIO, encodeAudioFrame, frameSamples } from '../protocol/index.js';
import { synthesizeUtterance } from '../cli/synthesize-utterance.js';
import { DEVICE_ID, DEVICE_SECRET, SPEED } from './harness.js';
import { RawDevice } from './raw-device.js';

const CLI = join(import.meta.dirname, '..', 'cli', 'main.ts');
const encoder = createOpusEncoder({ sampleRate: UPLINK_AUDIO.sampleRate, frameMs: UPLINK_AUDIO.frameMs, bitrate: 24_000, application: 'voip' });
const MIC_PACKET = encoder.encode(new Int16Array(frameSamples(UPLINK_AUDIO)));

const GATEWAY_CHILD = join(import.meta.dirname, 'gateway-child.ts');

/**
 * A gateway as a real child process on `db`: `pommai gateway` itself, or with `fileSizeKiB` the
 * gateway with instant providers under `ulimit -f`, so no file it writes may grow past that: a
 * full disk, as far as SQLite and the fallback files can tell. (A limit every child of it would
 * inherit: espeak-ng, the CLI's voice, dies of it, so that one runs without offline speech.)
 */
async function gatewayProcess(t: Test, db: string, fileSizeKiB?: number) {
  // Without the test runner's hooks, which would write files of their own in the child.
  const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' };
  const child =
    fileSizeKiB === undefined
      ? spawn(process.execPath, ['--import', 'tsx', CLI, 'gateway', '--port', '0', '--db', db, '--pacing-rate', String(SPEED), '--log-level', 'info'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `ulimit -f ${fileSizeKiB} && exec "$0" "$@"`, process.execPath, '--import', 'tsx', GATEWAY_CHILD, db], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null }));
  t.teardown(() => void child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout });
  const listening = await Promise.race([
    once(lines, 'line').then(([line]) => JSON.parse(line as string) as { url: string }),
    exit.then(({ code, signal }) => {
      throw new Error(`the gateway exited (${code ?? signal}) before listening: ${stderr.trim().split('\n').at(-1)}`);
    }),
  ]);
  return { child, url: listening.url, exit, stderr: () => stderr };
}

async function registered(dir: string): Promise<string> {
  const db = join(dir, 'gateway.db');
  const store = await SqliteStore.open(db);
  await store.addDeviceWithSecret(DEVICE_ID, DEVICE_SECRET);
  await store.close();
  return db;
}

/** Reads the turns from the file itself, as the dashboard process would. */
async function turnsIn(db: string): Promise<TurnRecord[]> {
  const store = await SqliteStore.open(db, { readonly: true });
  try {
    return await store.listTurns({});
  } finally {
    await store.close();
  }
}

/** Waits, with a bound, until `ready` gives a value; checked every few milliseconds. */
async function until<T>(ready: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await ready();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function sendMic(device: RawDevice, turn: number, frames: number): void {
  for (let sequence = 0; sequence < frames; sequence++) device.socket.send(encodeAudioFrame({ kind: AudioKind.Microphone, turn, sequence, payload: MIC_PACKET }));
}

/** The child's words as uplink frames (espeak-ng at the uplink's rate, Opus as a device sends them). */
async function sendWords(device: RawDevice, turn: number, text: string): Promise<void> {
  const pcm = await synthesizeUtterance(text);
  const samples = frameSamples(UPLINK_AUDIO);
  for (let sequence = 0, at = 0; at < pcm.length; sequence++, at += samples) {
    const frame = new Int16Array(samples);
    frame.set(pcm.subarray(at, at + samples));
    device.socket.send(encodeAudioFrame({ kind: AudioKind.Microphone, turn, sequence, payload: encoder.encode(frame) }));
  }
}

t.test('a gateway killed mid-turn leaves a row that says the turn started; the next start marks it interrupted', async (t) => {
  const db = await registered(t.testdir());
  const first = await gatewayProcess(t, db);
  const device = await RawDevice.connect(first.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  await device.next((m) => m.type === 'welcome', 'welcome');
  // The child holds the button and speaks: the turn is under way, nothing has ended it.
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'push' });
  sendMic(device, 1, 5);
  const started = await until(async () => (await turnsIn(db)).find((turn) => turn.turn === 1), 'the turn to be on record while it runs');
  t.match(started, { deviceId: DEVICE_ID, outcome: 'started', transcript: '' });

  first.child.kill('SIGKILL');
  t.match(await first.exit, { signal: 'SIGKILL' });
  t.match(await turnsIn(db), [{ id: started.id, outcome: 'started' }], 'the row outlives the process');

  const second = await gatewayProcess(t, db);
  const [turn] = await turnsIn(db);
  t.match(turn, { id: started.id, outcome: 'interrupted', error: { code: 'gateway_stopped' } }, 'marked before it takes devices');
  t.match(second.stderr(), /marked interrupted.*"interrupted":1/);
  second.child.kill('SIGTERM');
  t.equal((await second.exit).code, 0);
});

t.test('a push listen start let go at once, over and over, leaves no rows (finding 4)', async (t) => {
  const db = await registered(t.testdir());
  const gateway = await gatewayProcess(t, db);
  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  await device.next((m) => m.type === 'welcome', 'welcome');
  for (let turn = 1; turn <= 20; turn++) {
    device.send({ type: 'listen', state: 'start', turn, mode: 'push' });
    if (turn % 2 === 0) device.send({ type: 'abort', turn, reason: 'let go' });
  }
  // One turn with audio, answered: the only row.
  device.send({ type: 'listen', state: 'start', turn: 21, mode: 'push' });
  sendMic(device, 21, 3);
  device.send({ type: 'listen', state: 'stop', turn: 21, mode: 'push' });
  await device.next((m) => (m.type === 'speak' && m.state === 'stop' && m.turn === 21) || (m.type === 'error' && m.turn === 21), 'the answer to turn 21');
  gateway.child.kill('SIGTERM');
  t.equal((await gateway.exit).code, 0);
  const turns = await turnsIn(db);
  t.strictSame(turns.map((turn) => turn.turn), [21], 'twenty starts with no audio wrote nothing');
  t.notMatch(turns[0]?.outcome, /started|heard/);
});

t.test('on a full disk the gateway starts degraded: it answers the child, /healthz says what it cannot save', async (t) => {
  const db = await registered(t.testdir());
  // The database is 64 KiB; 16 KiB is below WAL's 32 KiB -shm file, which failed the start with SQLITE_IOERR_SHMSIZE.
  const gateway = await gatewayProcess(t, db, 16);
  const healthUrl = gateway.url.replace(/^ws/, 'http').replace(/\/v1\/device$/, '/healthz');
  const health = (await (await fetch(healthUrl)).json()) as { ok: boolean; status: string; problems: string[] };
  t.match(health, { ok: true, status: 'degraded' });
  t.match(health.problems.join('\n'), /SQLITE_IOERR_SHMSIZE/);

  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  await device.next((m) => m.type === 'welcome', 'welcome: the device is known though the disk is full');
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'push' });
  sendMic(device, 1, 3);
  device.send({ type: 'listen', state: 'stop', turn: 1, mode: 'push' });
  const end = await device.next((m) => (m.type === 'speak' && m.state === 'stop' && m.turn === 1) || (m.type === 'error' && m.turn === 1), 'the end of turn 1');
  t.match(end, { type: 'speak', state: 'stop' }, 'the child is answered');
  const later = (await (await fetch(healthUrl)).json()) as { status: string; problems: string[] };
  t.equal(later.status, 'degraded');
  t.match(later.problems.join('\n'), /turns waiting for the store/, 'the turn that could not be saved is held, and said so');
  const degradedLines = gateway.stderr().split('\n').filter((line) => line.includes('store degraded'));
  t.equal(degradedLines.length, 1, 'one line says the store is degraded');
  gateway.child.kill('SIGTERM');
  t.equal((await gateway.exit).code, 0, 'and it stops cleanly');
  t.notMatch(gateway.stderr(), /"level":"(fatal)"/);
});

t.test('conversation memory the store refuses is retried, spilled at shutdown, and replayed at the next start', async (t) => {
  const dir = t.testdir();
  const db = await registered(dir);
  const real = await SqliteStore.open(db);
  let refused = 0;
  // A store whose conversation saves fail as a full disk's do, and only those.
  const full = new Proxy(real, {
    get(target, property) {
      if (property === 'saveConversation') {
        return async () => {
          refused++;
          throw new ProviderError('store_full', 'database or disk is full', { retryable: true });
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as Store;
  const config = gatewayConfig({ port: 0, databasePath: db, pacing: { rate: SPEED }, turnBudgetMs: 30_000 });
  const gateway = await startGateway(config, silentLog, { store: full });
  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  await device.next((m) => m.type === 'welcome', 'welcome');
  const conversation = await answeredTurn(device, gateway.store, db);
  t.ok(refused >= 1, 'the store refused the save');
  t.equal(await real.conversation(DEVICE_ID, 'pommai'), undefined, 'not in the store');
  t.match(gateway.health(), { status: 'degraded', problems: [/conversation memories waiting for the store/] });
  device.socket.terminate();
  await gateway.stop();
  const spilled = readFileSync(conversationFallbackPathFor(db), 'utf8').trim().split('\n');
  t.equal(spilled.length, 1, 'the memory is in its fallback file');
  t.notOk(existsSync(`${db}.unsaved.jsonl`), 'the turns themselves were saved');

  const next = await startGateway(config, silentLog);
  t.teardown(() => next.stop());
  const stored = await next.store.conversation(DEVICE_ID, 'pommai');
  t.match(stored, { messages: conversation }, 'replayed into the store');
  t.notOk(existsSync(conversationFallbackPathFor(db)), 'and the file is gone');
});

/** One push turn with audio that the toy answers; resolves with the messages the memory should hold. */
async function answeredTurn(device: RawDevice, store: Store, db: string): Promise<{ role: string; content: string }[]> {
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'push' });
  await sendWords(device, 1, 'tell me a story');
  device.send({ type: 'listen', state: 'stop', turn: 1, mode: 'push' });
  await device.next((m) => m.type === 'speak' && m.state === 'stop' && m.turn === 1, 'the answer');
  const turn = await until(async () => (await store.listTurns({})).find((record) => record.turn === 1 && record.outcome !== 'started' && record.outcome !== 'heard'), `the turn's end in ${db}`);
  if (turn.outcome !== 'answered') throw new Error(`turn 1 ended ${turn.outcome}, not answered`);
  return [
    { role: 'user', content: turn.transcript },
    { role: 'assistant', content: turn.reply },
  ];
}

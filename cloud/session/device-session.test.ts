import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import WebSocket, { WebSocketServer } from 'ws';
import { silentLog, type Log } from '../../log/log.js';
import { createOpusEncoder } from '../../audio/opus-codec.js';
import { AudioKind, CloseCode, ErrorCode, PROTOCOL_VERSION, UPLINK_AUDIO, encodeAudioFrame, frameSamples, parseGatewayMessage, type GatewayMessage } from '../../protocol/index.js';
import { ConversationMemories } from '../memory/conversation-memories.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { TurnLog } from '../store/turn-log.js';
import { DEFAULT_TOY } from '../toy/toy-profile.js';
import { EnergyVad } from '../vad/energy-vad.js';
import { DeviceSession } from './device-session.js';
import { gatewayConfig } from './gateway-config.js';
import { instantProviders } from './testing/instant-providers.js';

const SECRET = 'a-long-enough-test-secret';
/** One uplink frame of quiet Opus: a turn that got some of the child's audio. */
const MIC_PACKET = createOpusEncoder({ sampleRate: UPLINK_AUDIO.sampleRate, frameMs: UPLINK_AUDIO.frameMs, bitrate: 24_000, application: 'voip' }).encode(new Int16Array(frameSamples(UPLINK_AUDIO)));

/** A WebSocket server on loopback that runs one DeviceSession per connection, over a real SQLite store. */
async function host(t: Test, config: Parameters<typeof gatewayConfig>[0] = {}, store?: Store, log: Log = silentLog) {
  const dir = t.testdir({});
  const real = await SqliteStore.open(join(dir, 'gateway.db'));
  await real.addDeviceWithSecret('toy-1', SECRET);
  const used = store ?? real;
  const turnLog = new TurnLog({ store: real, fallbackPath: join(dir, 'unsaved.jsonl'), log: silentLog });
  const memories = new ConversationMemories({ store: real, toyId: DEFAULT_TOY.id, onError: () => undefined });
  const sessions: DeviceSession[] = [];
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  wss.on('connection', (socket) => {
    sessions.push(
      new DeviceSession(socket, {
        config: gatewayConfig({ pacing: { rate: 1000 }, ...config }),
        providers: instantProviders(),
        store: used,
        turnLog,
        toy: DEFAULT_TOY,
        memories,
        vad: () => new EnergyVad(),
        log,
        claim: () => true,
        release: () => undefined,
      }),
    );
  });
  t.teardown(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
    await Promise.all(sessions.map((session) => session.settled()));
    await turnLog.flush();
    await memories.settled();
    await real.close();
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, sessions, store: real, turnLog };
}

/** A device speaking the protocol by hand: every message it gets, and a way to wait for one. */
async function connect(t: Test, url: string) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const got: GatewayMessage[] = [];
  const waiting: { match: (m: GatewayMessage) => boolean; resolve: (m: GatewayMessage) => void }[] = [];
  socket.on('message', (data, binary) => {
    if (binary) return;
    const parsed = parseGatewayMessage(data.toString());
    if (!parsed.ok) return t.fail(parsed.error.message);
    got.push(parsed.message);
    for (const w of waiting.splice(0)) (w.match(parsed.message) ? w.resolve(parsed.message) : waiting.push(w));
  });
  const closed = once(socket, 'close').then(([code]) => code as number);
  await once(socket, 'open');
  t.teardown(() => socket.terminate());
  const next = (match: (m: GatewayMessage) => boolean) => {
    const seen = got.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<GatewayMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('nothing came')), 10_000);
      waiting.push({ match, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  };
  return {
    socket,
    got,
    closed,
    send: (message: unknown) => socket.send(JSON.stringify(message)),
    next,
    error: (code: string) => next((m) => m.type === 'error' && m.code === code),
    hello: (overrides: Record<string, unknown> = {}) =>
      socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, deviceId: 'toy-1', secret: SECRET, firmware: 'test', audio: UPLINK_AUDIO, capabilities: [], ...overrides })),
  };
}

t.test("a welcome carries the gateway's defaults overridden by the parent's choices", async (t) => {
  const { url, store } = await host(t, { defaultVolume: 60, defaultMaxVolume: 90 });
  await store.updateDeviceSettings('toy-1', { maxVolume: 40 });
  const device = await connect(t, url);
  device.hello();
  const welcome = await device.next((m) => m.type === 'welcome');
  t.match(welcome, { type: 'welcome', version: PROTOCOL_VERSION, toy: { name: DEFAULT_TOY.name, volume: 60, maxVolume: 40, locked: false } });
});

t.test('a toy welcomed as locked refuses turns until its parent unlocks it', async (t) => {
  const { url, store, sessions } = await host(t);
  await store.updateDeviceSettings('toy-1', { locked: true });
  const device = await connect(t, url);
  device.hello();
  await device.next((m) => m.type === 'welcome');
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'push' });
  t.match(await device.error(ErrorCode.Locked), { turn: 1 });
  device.send({ type: 'listen', state: 'start', turn: 5, mode: 'hands_free' });
  t.match(await device.next((m) => m.type === 'error' && m.turn === 5), { code: ErrorCode.Locked }, 'the lock is the answer, before the missing capability');
  sessions[0]?.applySettings({});
  t.match(await device.next((m) => m.type === 'settings'), { toy: { locked: false } });
  device.send({ type: 'listen', state: 'start', turn: 2, mode: 'push' });
  device.send({ type: 'listen', state: 'stop', turn: 2, mode: 'push' });
  t.match(await device.next((m) => m.type === 'speak' && m.state === 'stop'), { turn: 2 }, 'the turn after the unlock is answered');
});

t.test("a parent's lock during a turn tells the device first, then cuts the turn", async (t) => {
  const { url, sessions, turnLog, store } = await host(t);
  const device = await connect(t, url);
  device.hello();
  await device.next((m) => m.type === 'welcome');
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'push' });
  device.socket.send(encodeAudioFrame({ kind: AudioKind.Microphone, turn: 1, sequence: 0, payload: MIC_PACKET }));
  // Messages are handled in order: once the pong is back, the turn has started and has its audio.
  device.send({ type: 'ping', id: 1 });
  await device.next((m) => m.type === 'pong');
  sessions[0]?.applySettings({ locked: true });
  t.match(await device.next((m) => m.type === 'settings'), { toy: { locked: true } });
  // The turn waited for the child's words: only the lock's cut could end it.
  await sessions[0]?.settled();
  await turnLog.flush();
  t.match(await store.listTurns({ deviceId: 'toy-1' }), [{ turn: 1, outcome: 'aborted', error: { message: /locked by parent/ } }], "the child's turn is kept, ended by the lock");
  t.notOk(device.got.some((m) => m.type === 'speak'), 'the cut turn says nothing more');
});

t.test('a second start of the turn in progress, or hands-free without the capability, is refused', async (t) => {
  const { url } = await host(t);
  const device = await connect(t, url);
  device.hello();
  await device.next((m) => m.type === 'welcome');
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'push' });
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'push' });
  t.match(await device.error(ErrorCode.TurnInProgress), { turn: 1 });
  device.send({ type: 'listen', state: 'start', turn: 2, mode: 'hands_free' });
  t.match(await device.error(ErrorCode.InvalidMessage), { turn: 2, message: /hands_free' capability/ });
  device.send({ type: 'listen', state: 'stop', turn: 1, mode: 'push' });
  t.match(await device.next((m) => m.type === 'speak' && m.state === 'stop'), { turn: 1 }, 'turn 1 went on');
});

t.test('ping is answered with pong, and a second hello, of any version, with an error, the session living on', async (t) => {
  const { url } = await host(t);
  const device = await connect(t, url);
  device.hello();
  await device.next((m) => m.type === 'welcome');
  device.send({ type: 'ping', id: 7 });
  t.match(await device.next((m) => m.type === 'pong' && m.id === 7), { id: 7 });
  device.hello();
  await device.error(ErrorCode.DuplicateHello);
  device.got.length = 0;
  // A later version's hello may have another shape: the parser says version_mismatch for it.
  device.send({ type: 'hello', version: PROTOCOL_VERSION + 1, deviceId: 'toy-1', token: 'v2 has tokens' });
  await device.error(ErrorCode.DuplicateHello);
  t.notOk(device.got.some((m) => m.type === 'error' && m.code === ErrorCode.VersionMismatch), 'a second hello of another version is a second hello too (issue 10, finding 7)');
  device.send({ type: 'ping', id: 8 });
  t.match(await device.next((m) => m.type === 'pong' && m.id === 8), { id: 8 });
});

t.test('no hello in time closes the connection with hello_timeout', async (t) => {
  const { url } = await host(t, { helloTimeoutMs: 100 });
  const device = await connect(t, url);
  t.equal(await device.closed, CloseCode.HelloTimeout);
});

t.test('a welcomed device that goes silent is closed with heartbeat_timeout', async (t) => {
  const { url } = await host(t, { heartbeat: { intervalMs: 100, timeoutMs: 100 } });
  const device = await connect(t, url);
  device.hello();
  await device.next((m) => m.type === 'welcome');
  t.equal(await device.closed, CloseCode.HeartbeatTimeout);
});

t.test('a store that cannot check devices: busy, retryable, and the connection closes going away', async (t) => {
  const broken = { verifyDevice: async () => Promise.reject(new Error('disk I/O error')) } as unknown as Store;
  const { url } = await host(t, {}, broken);
  const device = await connect(t, url);
  device.hello();
  t.match(await device.error(ErrorCode.Busy), { retryable: true });
  t.equal(await device.closed, CloseCode.GoingAway);
});

t.test('a device that stops reading is let go once what it was sent piles up past the bound (issue 10, finding 3)', async (t) => {
  const dir = t.testdir({});
  const store = await SqliteStore.open(join(dir, 'gateway.db'));
  t.teardown(() => store.close());
  await store.addDeviceWithSecret('toy-1', SECRET);
  const memories = new ConversationMemories({ store, toyId: DEFAULT_TOY.id, onError: () => undefined });
  // A socket whose peer reads nothing: every byte sent stays buffered.
  const socket = Object.assign(new EventEmitter(), {
    bufferedAmount: 0,
    closedWith: undefined as number | undefined,
    terminated: false,
    send(data: Uint8Array | string) {
      this.bufferedAmount += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    },
    close(code: number) {
      this.closedWith = code;
    },
    terminate() {
      this.terminated = true;
    },
  });
  const session = new DeviceSession(socket as unknown as WebSocket, {
    config: gatewayConfig({ maxBufferedBytes: 1024, maxMessagesPerSecond: 100_000 }),
    providers: instantProviders(),
    store,
    turnLog: new TurnLog({ store, fallbackPath: join(dir, 'unsaved.jsonl'), log: silentLog }),
    toy: DEFAULT_TOY,
    memories,
    vad: () => new EnergyVad(),
    log: silentLog,
    claim: () => true,
    release: () => undefined,
  });
  socket.emit('message', Buffer.from(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, deviceId: 'toy-1', secret: SECRET, firmware: 'test', audio: UPLINK_AUDIO, capabilities: [] })), false);
  for (let i = 0; i < 200 && session.device === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  for (let i = 0; i < 100 && socket.closedWith === undefined; i++) socket.emit('message', Buffer.from(JSON.stringify({ type: 'ping', id: i })), false);
  t.equal(socket.closedWith, CloseCode.SlowReader);
  t.ok(socket.terminated, 'cut at once: the close frame would only wait behind what is unread');
  t.ok(socket.bufferedAmount < 1024 + 200, `it stopped sending at the bound (${socket.bufferedAmount} bytes)`);
  await session.settled();
  await memories.settled();
});

t.test('bad frames are logged once per interval with a count, not once each (issue 10, finding 4)', async (t) => {
  const lines: { message: string; fields?: Record<string, unknown> }[] = [];
  const { url } = await host(t, {}, undefined, (_level, message, fields) => void lines.push({ message, ...(fields ? { fields } : {}) }));
  const device = await connect(t, url);
  device.hello();
  await device.next((m) => m.type === 'welcome');
  for (let i = 0; i < 50; i++) device.send({ type: 'nonsense' });
  device.send({ type: 'ping', id: 1 });
  await device.next((m) => m.type === 'pong');
  const bad = lines.filter((line) => line.message === 'bad frame from device');
  t.equal(bad.length, 1, `${bad.length} lines for 50 bad frames`);
});

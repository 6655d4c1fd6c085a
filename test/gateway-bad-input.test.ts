import { once } from 'node:events';
import { connect } from 'node:net';
import t from 'tap';
import WebSocket from 'ws';
import { AudioKind, CloseCode, PROTOCOL_VERSION, UPLINK_AUDIO, encodeAudioFrame, parseGatewayMessage, type GatewayMessage } from '../protocol/index.js';
import { join } from 'node:path';
import { startGateway } from '../cloud/gateway-main.js';
import { gatewayConfig } from '../cloud/session/gateway-config.js';
import { DEVICE_ID, DEVICE_SECRET, gatewayFor } from './harness.js';
import { RawDevice } from './raw-device.js';

t.test('bad input on a live session gets an error and the session lives on', async (t) => {
  const gateway = await gatewayFor(t.testdir());
  t.teardown(() => gateway.stop());
  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  const welcome = await device.next((m) => m.type === 'welcome', 'welcome');
  t.equal(welcome.type === 'welcome' && welcome.version, PROTOCOL_VERSION);

  device.send('{not json');
  t.match(await device.error('malformed_frame'), { retryable: false });
  t.ok(await device.alive(1), 'alive after malformed JSON');

  device.send({ type: 'dance', turn: 1 });
  t.match(await device.error('unknown_type'), { message: /dance/ });
  t.ok(await device.alive(2), 'alive after an unknown type');

  device.send({ type: 'listen', state: 'start', turn: 'one', mode: 'push' });
  t.match(await device.error('invalid_message'), { message: /turn/ });
  t.ok(await device.alive(3), 'alive after an invalid field');

  await device.hello();
  await device.error('duplicate_hello');
  t.ok(await device.alive(4), 'a second hello is refused and the session lives on');

  device.socket.send(new Uint8Array([1, 0]));
  await device.error('malformed_frame');
  t.ok(await device.alive(5), 'alive after a short binary frame');

  // Audio outside listen start / stop is dropped and counted.
  const session = gateway.server.sessionOf(DEVICE_ID);
  t.ok(session, 'the gateway knows the session by device id');
  const before = session!.counters.framesDropped;
  for (let sequence = 0; sequence < 3; sequence++) {
    device.socket.send(encodeAudioFrame({ kind: AudioKind.Microphone, turn: 9, sequence, payload: new Uint8Array([0xf8, 0xff, 0xfe]) }));
  }
  t.ok(await device.alive(6));
  t.equal(session!.counters.framesDropped - before, 3, 'three stray frames dropped and counted');
});

t.test('a message before hello is refused and the connection closed', async (t) => {
  const gateway = await gatewayFor(t.testdir());
  t.teardown(() => gateway.stop());
  const device = await RawDevice.connect(gateway.url);
  device.send({ type: 'listen', state: 'start', turn: 1, mode: 'push' });
  await device.error('not_ready');
  t.equal((await device.closed).code, CloseCode.ProtocolError);
});

t.test('a wrong secret gets unauthorized and close code 4001', async (t) => {
  const gateway = await gatewayFor(t.testdir());
  t.teardown(() => gateway.stop());
  const device = await RawDevice.connect(gateway.url);
  await device.hello({ secret: 'not-the-secret' });
  const error = await device.error('unauthorized');
  t.equal(error.type === 'error' && error.retryable, false);
  t.equal((await device.closed).code, CloseCode.Unauthorized);
  t.notOk(device.received.some((m) => m.type === 'welcome'), 'no welcome for a wrong secret');
});

t.test('another protocol version gets version_mismatch and close code 4002', async (t) => {
  const gateway = await gatewayFor(t.testdir());
  t.teardown(() => gateway.stop());
  const device = await RawDevice.connect(gateway.url);
  await device.hello({ version: PROTOCOL_VERSION + 1 });
  await device.error('version_mismatch');
  t.equal((await device.closed).code, CloseCode.VersionMismatch);
});

t.test('a device that connects again replaces its old connection', async (t) => {
  const gateway = await gatewayFor(t.testdir());
  t.teardown(() => gateway.stop());
  const first = await RawDevice.connect(gateway.url);
  await first.hello();
  await first.next((m) => m.type === 'welcome', 'first welcome');
  const second = await RawDevice.connect(gateway.url);
  t.teardown(() => second.socket.terminate());
  await second.hello();
  await second.next((m) => m.type === 'welcome', 'second welcome');
  t.equal((await first.closed).code, CloseCode.Replaced);
  t.ok(await second.alive(1));
});

t.test('other paths are not the device endpoint', async (t) => {
  const gateway = await gatewayFor(t.testdir());
  t.teardown(() => gateway.stop());
  const socket = new WebSocket(gateway.url.replace('/v1/device', '/elsewhere'));
  const [error] = await once(socket, 'error');
  t.match((error as Error).message, /404/);
});

t.test('a half-sent upgrade request is cut at the upgrade bound instead of holding its socket (issue 10, finding 7)', async (t) => {
  const gateway = await gatewayFor(t.testdir(), 0, undefined, { upgradeTimeoutMs: 300 });
  t.teardown(() => gateway.stop());
  const { port } = new URL(gateway.url);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET /v1/device HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
  const closed = once(socket, 'close');
  socket.resume();
  // The bound is the gateway's; this one only keeps a failing test from hanging (Node's own default is a minute).
  const timer = setTimeout(() => socket.destroy(new Error('still open after 10 s')), 10_000);
  await closed;
  clearTimeout(timer);
  t.notOk(socket.errored, 'the gateway closed it, not the test');
  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  await device.next((m) => m.type === 'welcome', 'a device that sends its upgrade at once still gets in');
});

t.test('a flood of bad frames gets a bounded number of error replies and is closed as flooding (issue 10, findings 3 and 4)', async (t) => {
  const gateway = await gatewayFor(t.testdir(), 0, undefined, { maxMessagesPerSecond: 20, maxErrorsPerSecond: 5 });
  t.teardown(() => gateway.stop());
  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  await device.next((m) => m.type === 'welcome', 'welcome');
  const sent = 5000;
  for (let i = 0; i < sent; i++) device.send('{"type":"nonsense"}');
  t.equal((await device.closed).code, CloseCode.Flooding);
  const errors = device.received.filter((m) => m.type === 'error').length;
  t.ok(errors <= 40, `${errors} error replies to ${sent} bad frames`);
});

t.test('a crowd of wrong hellos waits in a bounded queue for the secret checks, or is told busy (issue 10, finding 2)', async (t) => {
  const gateway = await gatewayFor(t.testdir(), 0, undefined, { maxConcurrentSecretChecks: 1, maxWaitingSecretChecks: 2 });
  t.teardown(() => gateway.stop());
  const crowd = await Promise.all(Array.from({ length: 12 }, (_, i) => RawDevice.connect(gateway.url, `127.0.0.${i + 2}`)));
  t.teardown(() => crowd.forEach((device) => device.socket.terminate()));
  for (const device of crowd) await device.hello({ secret: 'wrong-secret-wrong-secret' });
  const answers = await Promise.all(crowd.map((device) => device.next((m) => m.type === 'error', 'an answer to the hello')));
  const codes = answers.map((m) => (m.type === 'error' ? m.code : m.type));
  const busy = codes.filter((code) => code === 'busy').length;
  t.ok(busy >= 1, `${busy} of 12 told busy at once instead of queueing for scrypt`);
  t.ok(codes.filter((code) => code === 'unauthorized').length <= 3 + 2, 'only the checks let through were run');
  t.ok(answers.every((m) => m.type !== 'error' || m.code !== 'busy' || m.retryable), 'busy is retryable');
  const device = await RawDevice.connect(gateway.url);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  await device.next((m) => m.type === 'welcome', 'the toy itself still gets in');
});

t.test('refusals at capacity are logged once per interval with a count, not once per try (issue 10, finding 4)', async (t) => {
  const lines: { message: string; fields?: Record<string, unknown> }[] = [];
  const gateway = await startGateway(gatewayConfig({ port: 0, databasePath: join(t.testdir(), 'gateway.db'), maxSessions: 1 }), (_level, message, fields) => void lines.push({ message, ...(fields ? { fields } : {}) }));
  t.teardown(() => gateway.stop());
  await gateway.store.addDeviceWithSecret(DEVICE_ID, DEVICE_SECRET);
  await gateway.store.addDeviceWithSecret('another-toy', DEVICE_SECRET);
  const holder = await RawDevice.connect(gateway.url);
  t.teardown(() => holder.socket.terminate());
  await holder.hello();
  await holder.next((m) => m.type === 'welcome', 'welcome');
  for (let i = 0; i < 20; i++) {
    const other = await RawDevice.connect(gateway.url);
    await other.hello({ deviceId: 'another-toy' });
    t.match(await other.error('busy'), { retryable: true }, `try ${i + 1} told busy`);
    t.equal((await other.closed).code, CloseCode.GoingAway);
  }
  const refusals = lines.filter((line) => /at capacity/.test(line.message));
  t.equal(refusals.length, 1, `${refusals.length} lines for 20 refusals`);
  // The device itself, coming back while its old session still holds the last place, takes it over.
  const again = await RawDevice.connect(gateway.url);
  t.teardown(() => again.socket.terminate());
  await again.hello();
  await again.next((m) => m.type === 'welcome', 'welcome for the device replacing its own session');
  t.equal((await holder.closed).code, CloseCode.Replaced);
});

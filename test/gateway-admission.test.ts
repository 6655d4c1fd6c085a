import { once } from 'node:events';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { CloseCode, PROTOCOL_VERSION, UPLINK_AUDIO } from '../protocol/index.js';
import { startGateway, type RunningGateway } from '../cloud/gateway-main.js';
import { gatewayConfig } from '../cloud/session/gateway-config.js';
import { DEVICE_ID, DEVICE_SECRET } from './harness.js';
import { RawDevice } from './raw-device.js';

type Line = { level: string; message: string; fields: Record<string, unknown> };

async function gatewayWith(t: Test, config: Parameters<typeof gatewayConfig>[0]): Promise<{ gateway: RunningGateway; lines: Line[] }> {
  const lines: Line[] = [];
  const gateway = await startGateway(gatewayConfig({ port: 0, databasePath: join(t.testdir(), 'gateway.db'), ...config }), (level, message, fields = {}) => void lines.push({ level, message, fields }));
  await gateway.store.addDeviceWithSecret(DEVICE_ID, DEVICE_SECRET);
  t.teardown(() => gateway.stop());
  return { gateway, lines };
}

/** Opens a socket from `from`; resolves with it once open, or with the HTTP status of the refusal. */
async function tryOpen(url: string, from: string, headers: Record<string, string> = {}): Promise<{ socket: WebSocket } | { status: number; retryAfter: string | undefined }> {
  const socket = new WebSocket(url, { perMessageDeflate: false, localAddress: from, headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] });
      response.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** The registered device, from its own address, all the way to its welcome. */
async function deviceGetsIn(t: Test, url: string, from = '127.0.0.1'): Promise<void> {
  const device = await RawDevice.connect(url, from);
  t.teardown(() => device.socket.terminate());
  await device.hello();
  const welcome = await device.next((m) => m.type === 'welcome' || m.type === 'error', 'an answer to the hello');
  t.equal(welcome.type, 'welcome', 'the registered device gets through its upgrade and hello');
}

const hello = (secret: string) => JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, deviceId: DEVICE_ID, secret, firmware: 'test', audio: UPLINK_AUDIO, capabilities: [] });

t.test('one stranger holding silent sockets cannot lock a toy out (issue 10, finding 1)', async (t) => {
  // The gateway's places for devices are few here, as 500 were against one stranger's 100 opens a second.
  const { gateway, lines } = await gatewayWith(t, { maxSessions: 5, maxPendingPerAddress: 4 });
  const tries = await Promise.all(Array.from({ length: 20 }, () => tryOpen(gateway.url, '127.0.0.2')));
  const held = tries.flatMap((r) => ('socket' in r ? [r.socket] : []));
  t.teardown(() => held.forEach((socket) => socket.terminate()));
  t.equal(held.length, 4, 'four silent sockets from one address, no more');
  t.ok(
    tries.every((r) => 'socket' in r || (r.status === 429 && r.retryAfter === '1')),
    'the rest are told 429 with a Retry-After',
  );
  await deviceGetsIn(t, gateway.url);
  t.equal(gateway.server.sessionCount, 1);
  const refusalLines = lines.filter((line) => line.message === 'refusing connections from an address');
  t.equal(refusalLines.length, 1, 'one log line for the address, not one a try');
  t.match(refusalLines[0]?.fields, { address: '127.0.0.2', reason: 'address_pending', refused: 1 });
});

t.test('strangers fill the pool of sockets without a proved hello; a device still gets in', async (t) => {
  const { gateway } = await gatewayWith(t, { maxPendingConnections: 8, maxPendingPerAddress: 4 });
  const strangers: WebSocket[] = [];
  t.teardown(() => strangers.forEach((socket) => socket.terminate()));
  const closes: Promise<number>[] = [];
  for (const address of ['127.0.0.2', '127.0.0.3']) {
    for (let i = 0; i < 4; i++) {
      const opened = await tryOpen(gateway.url, address);
      if (!('socket' in opened)) throw new Error(`a stranger was refused with ${opened.status}`);
      strangers.push(opened.socket);
      closes.push(once(opened.socket, 'close').then(([code]) => code as number));
    }
  }
  t.equal(gateway.server.pendingCount, 8, 'the pool is full of silent sockets');
  await deviceGetsIn(t, gateway.url);
  t.equal(await closes[0], CloseCode.HelloTimeout, "the oldest of the biggest crowd's silent sockets was closed to make room");
  // Strangers from fresh addresses take places from the crowds until every address holds about as many.
  const more = await Promise.all(Array.from({ length: 12 }, (_, i) => tryOpen(gateway.url, `127.0.0.${10 + i}`)));
  t.teardown(() => more.forEach((r) => 'socket' in r && r.socket.terminate()));
  t.ok(more.some((r) => 'status' in r && r.status === 503), 'once the pool is shared fairly, newcomers are told 503');
  t.ok(more.some((r) => 'socket' in r), 'before that, they took the crowds’ places');
});

t.test('an address that sends wrong hellos is refused before its secrets are checked, and the toy is not', async (t) => {
  const { gateway, lines } = await gatewayWith(t, { maxFailedHellosPerAddress: 3, failedHelloWindowMs: 60_000 });
  // One socket opened early, to send its hello once the allowance is spent.
  const late = await RawDevice.connect(gateway.url, '127.0.0.3');
  t.teardown(() => late.socket.terminate());
  for (let i = 0; i < 3; i++) {
    const guess = await RawDevice.connect(gateway.url, '127.0.0.3');
    guess.send(hello(`guess-${i}-guess-guess-guess-guess`));
    t.equal((await guess.closed).code, CloseCode.Unauthorized);
  }
  late.send(hello('guess-late-guess-guess-guess-guess'));
  t.match(await late.error('too_many_attempts'), { retryable: true });
  t.equal((await late.closed).code, CloseCode.TooManyAttempts, 'the spent allowance closes with 4008, no secret checked');
  for (let i = 0; i < 5; i++) t.match(await tryOpen(gateway.url, '127.0.0.3'), { status: 429, retryAfter: '20' }, 'one wrong hello forgiven each 20 s');
  t.equal(lines.filter((line) => line.message === 'device refused').length, 3, 'a line per secret checked and refused, none for the rest');
  t.equal(lines.filter((line) => line.message === 'refusing connections from an address').length, 1);
  await deviceGetsIn(t, gateway.url, '127.0.0.4');
});

t.test('behind a proxy the client address comes from the trusted header alone', async (t) => {
  const { gateway, lines } = await gatewayWith(t, { clientAddressHeader: 'X-Forwarded-For', maxPendingPerAddress: 1 });
  const first = await tryOpen(gateway.url, '127.0.0.1', { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' });
  t.ok('socket' in first, 'the first socket of 203.0.113.7');
  t.teardown(() => 'socket' in first && first.socket.terminate());
  t.match(await tryOpen(gateway.url, '127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }), { status: 429 }, 'the last entry is the address, whatever came before it');
  const other = await tryOpen(gateway.url, '127.0.0.1', { 'x-forwarded-for': '203.0.113.7, 203.0.113.8' });
  t.ok('socket' in other, 'another client behind the same proxy has its own share');
  t.teardown(() => 'socket' in other && other.socket.terminate());
  t.match(await tryOpen(gateway.url, '127.0.0.1'), { status: 400 }, 'a request from the proxy without the header is refused');
  // A peer that is not the proxy (it reached the gateway around it) is itself, whatever its header says.
  const direct = await tryOpen(gateway.url, '127.0.0.11', { 'x-forwarded-for': '203.0.113.50' });
  t.teardown(() => 'socket' in direct && direct.socket.terminate());
  t.ok('socket' in direct);
  t.match(await tryOpen(gateway.url, '127.0.0.11', { 'x-forwarded-for': '203.0.113.51' }), { status: 429 }, 'its forged header changed nothing: both counted as 127.0.0.11');
  t.ok(lines.some((line) => line.message === 'refusing connections without a client address'));
});

t.test('without a trusted header, a forged one changes nothing', async (t) => {
  const { gateway } = await gatewayWith(t, { maxPendingPerAddress: 1 });
  const first = await tryOpen(gateway.url, '127.0.0.5', { 'x-forwarded-for': '203.0.113.7' });
  t.teardown(() => 'socket' in first && first.socket.terminate());
  t.match(await tryOpen(gateway.url, '127.0.0.5', { 'x-forwarded-for': '203.0.113.9' }), { status: 429 }, 'both counted as 127.0.0.5');
});

t.test('a socket the gateway closes is cut once its grace is over, whether or not the peer answers', async (t) => {
  const { gateway } = await gatewayWith(t, { helloTimeoutMs: 100 });
  // A peer that completes its upgrade and then reads nothing, so never answers the close frame:
  // ws alone would hold its socket for 30 s, and its place with it.
  const tcp = connect({ host: '127.0.0.1', port: gateway.server.port, localAddress: '127.0.0.6' });
  t.teardown(() => tcp.destroy());
  await once(tcp, 'connect');
  tcp.write(`GET /v1/device HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 7).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const [response] = (await once(tcp, 'data')) as [Buffer];
  t.match(response.toString(), /^HTTP\/1\.1 101/);
  tcp.resume();
  await once(tcp, 'close');
  t.equal(gateway.server.pendingCount, 0, 'its place was given back');
});

/** A raw upgrade request from `from`; the socket keeps its half open unless the gateway closes it. */
async function rawUpgrade(port: number, from: string, path = '/v1/device'): Promise<{ tcp: import('node:net').Socket; response: string }> {
  const tcp = connect({ host: '127.0.0.1', port, localAddress: from, allowHalfOpen: true });
  await once(tcp, 'connect');
  tcp.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 7).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const [data] = (await once(tcp, 'data')) as [Buffer];
  return { tcp, response: data.toString() };
}

t.test('a request line that is not a URL is a 404, not the end of the gateway', async (t) => {
  const { gateway } = await gatewayWith(t, {});
  for (const path of ['//[', 'http://[', '/v1/device/../x']) {
    const { tcp, response } = await rawUpgrade(gateway.server.port, '127.0.0.8', path);
    t.teardown(() => tcp.destroy());
    t.match(response, /^HTTP\/1\.1 404/, `${path}: 404`);
  }
  await deviceGetsIn(t, gateway.url);
});

t.test('a refused upgrade is closed by the gateway, even when its peer never closes its own half', async (t) => {
  const { gateway } = await gatewayWith(t, { maxPendingPerAddress: 1 });
  const held = await rawUpgrade(gateway.server.port, '127.0.0.9');
  t.teardown(() => held.tcp.destroy());
  t.match(held.response, /^HTTP\/1\.1 101/);
  const refused = await rawUpgrade(gateway.server.port, '127.0.0.9');
  t.teardown(() => refused.tcp.destroy());
  t.match(refused.response, /^HTTP\/1\.1 429/);
  // Our half stays open: only the gateway's end of the socket being gone makes our writes fail.
  const gone = new Promise<boolean>((resolve) => {
    refused.tcp.on('error', () => resolve(true));
    const poke = setInterval(() => refused.tcp.write('still here?\r\n'), 100);
    setTimeout(() => {
      clearInterval(poke);
      resolve(false);
    }, 5000);
    refused.tcp.on('error', () => clearInterval(poke));
  });
  t.ok(await gone, 'the refused socket is closed, not left half open for ever');
});

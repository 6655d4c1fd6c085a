import { once } from 'node:events';
import t from 'tap';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, DOWNLINK_AUDIO, PROTOCOL_VERSION, UPLINK_AUDIO, parseDeviceMessage, type DeviceMessage } from '../protocol/index.js';
import { CloudLink } from './cloud-link.js';
import { silentLog } from '../log/log.js';

/** A stand-in gateway: welcomes every hello and lets the test decide the rest. */
async function fakeGateway(t: { teardown: (fn: () => void) => void }, options: { pong: boolean; closeWith?: number }) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const received: DeviceMessage[] = [];
  let connections = 0;
  wss.on('connection', (socket: WebSocket) => {
    connections++;
    socket.on('message', (data) => {
      const parsed = parseDeviceMessage(data.toString());
      if (!parsed.ok) return;
      received.push(parsed.message);
      if (parsed.message.type === 'hello') {
        if (options.closeWith) return socket.close(options.closeWith, 'no');
        socket.send(JSON.stringify({ type: 'welcome', version: PROTOCOL_VERSION, sessionId: `s${connections}`, audio: DOWNLINK_AUDIO, toy: { name: 'Pommai', volume: 50, maxVolume: 80 }, heartbeat: { intervalMs: 100, timeoutMs: 150 } }));
      }
      if (parsed.message.type === 'ping' && options.pong) socket.send(JSON.stringify({ type: 'pong', id: parsed.message.id }));
    });
  });
  t.teardown(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  return { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, received, connections: () => connections };
}

function link(url: string, events: string[]) {
  return new CloudLink(
    { url, hello: { deviceId: 'toy-1', secret: 'secret-secret', firmware: 't', audio: UPLINK_AUDIO, capabilities: [] }, backoff: { initialMs: 20, maxMs: 80 }, connectTimeoutMs: 2000, log: silentLog },
    { onUp: (w) => events.push(`up:${w.sessionId}`), onDown: (r) => events.push(`down:${r}`), onMessage: () => {}, onAudio: () => {}, onRefused: (code) => events.push(`refused:${code}`) },
  );
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

t.test('says hello with its id and secret, and is up after the welcome', async (t) => {
  const gateway = await fakeGateway(t, { pong: true });
  const events: string[] = [];
  const l = link(gateway.url, events);
  l.start();
  await until(() => l.isUp, 'up');
  const hello = gateway.received.find((m) => m.type === 'hello');
  t.match(hello, { type: 'hello', version: PROTOCOL_VERSION, deviceId: 'toy-1', secret: 'secret-secret' });
  t.same(events, ['up:s1']);
  // Pings go out on the welcome's interval and pongs keep the link up.
  await until(() => gateway.received.filter((m) => m.type === 'ping').length >= 3, 'three pings');
  t.ok(l.isUp, 'still up after several answered pings');
  t.equal(gateway.connections(), 1);
  t.ok(l.traffic.bytesSent > 0 && l.traffic.bytesReceived > 0, 'traffic is counted on the socket');
  await l.stop();
});

t.test('a gateway that stops answering pings is dropped and dialled again', async (t) => {
  const gateway = await fakeGateway(t, { pong: false });
  const events: string[] = [];
  const l = link(gateway.url, events);
  l.start();
  await until(() => events.filter((e) => e.startsWith('up')).length >= 2, 'a second welcome');
  t.match(events[1], /^down:/, 'the link went down when no pong came');
  t.ok(gateway.connections() >= 2, 'and reconnected by itself');
  await l.stop();
});

t.test('send returns false while the link is down', async (t) => {
  const events: string[] = [];
  const l = link('ws://127.0.0.1:9/v1/device', events);
  t.notOk(l.send({ type: 'ping', id: 1 }));
  t.notOk(l.isUp);
});

t.test('a refused secret is not retried in a tight loop', async (t) => {
  const gateway = await fakeGateway(t, { pong: true, closeWith: CloseCode.Unauthorized });
  const events: string[] = [];
  const l = link(gateway.url, events);
  l.start();
  await until(() => gateway.connections() >= 2, 'a second attempt');
  // With maxMs 80 the second attempt waits 40-80 ms; a third within 20 ms would mean no backoff.
  const connections = gateway.connections();
  t.ok(connections <= 3, `${connections} attempts so far`);
  t.ok(events.length > 0 && events.every((e) => e === `refused:${CloseCode.Unauthorized}`), 'never up, and told it was refused');
  await l.stop();
});

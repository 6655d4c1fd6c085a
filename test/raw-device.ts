import { once } from 'node:events';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, UPLINK_AUDIO, parseGatewayMessage, type GatewayMessage } from '../protocol/index.js';
import { DEVICE_ID, DEVICE_SECRET } from './harness.js';

/** A raw client that speaks the protocol by hand, to send what a good device never would. */
export class RawDevice {
  readonly received: GatewayMessage[] = [];
  private waiters: { match: (m: GatewayMessage) => boolean; resolve: (m: GatewayMessage) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data, binary) => {
      if (binary) return;
      const parsed = parseGatewayMessage(data.toString());
      if (!parsed.ok) throw new Error(`gateway sent an invalid message: ${parsed.error.message}`);
      this.received.push(parsed.message);
      this.waiters = this.waiters.filter((w) => (w.match(parsed.message) ? (w.resolve(parsed.message), false) : true));
    });
    this.closed = once(socket, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
  }

  /** `from`: the loopback address to connect from (127.0.0.2 and up), so that per-address limits apply as they would to many clients. */
  static async connect(url: string, from?: string): Promise<RawDevice> {
    const socket = new WebSocket(url, { perMessageDeflate: false, ...(from === undefined ? {} : { localAddress: from }) });
    const device = new RawDevice(socket);
    await once(socket, 'open');
    return device;
  }

  send(value: unknown): void {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  next(match: (m: GatewayMessage) => boolean, what: string): Promise<GatewayMessage> {
    const seen = this.received.find(match);
    if (seen) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          this.received.splice(this.received.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }

  error(code: string): Promise<GatewayMessage> {
    return this.next((m) => m.type === 'error' && m.code === code, `error ${code}`);
  }

  async hello(overrides: Record<string, unknown> = {}): Promise<void> {
    this.send({ type: 'hello', version: PROTOCOL_VERSION, deviceId: DEVICE_ID, secret: DEVICE_SECRET, firmware: 'test', audio: UPLINK_AUDIO, capabilities: [], ...overrides });
  }

  /** The session is alive when it still answers a ping. */
  async alive(id: number): Promise<boolean> {
    this.send({ type: 'ping', id });
    const pong = await this.next((m) => m.type === 'pong' && m.id === id, 'pong');
    return pong.type === 'pong';
  }
}

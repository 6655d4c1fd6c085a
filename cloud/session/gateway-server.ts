import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { CloseCode } from '../../protocol/index.js';
import { DeviceSession, type SessionDeps } from './device-session.js';
import { limitSecretChecks } from './secret-check-limit.js';
import { OncePerInterval } from './once-per-interval.js';

/** At most one log line about refusals at capacity this often. */
const CAPACITY_LOG_MS = 10_000;

/** The path devices connect to. */
export const DEVICE_PATH = '/v1/device';

type GatewayDeps = Omit<SessionDeps, 'claim' | 'release' | 'verifyDevice'> & {
  /** Added to /healthz: whether the gateway runs degraded and why (a full disk, records it cannot save). */
  readonly health?: () => { readonly status: string; readonly problems: readonly string[] };
};

/**
 * The gateway's network face: an HTTP server with a health check and the
 * device WebSocket endpoint, one DeviceSession per connection and at most one
 * session per device.
 */
export class GatewayServer {
  private readonly sessions = new Set<DeviceSession>();
  /** Sessions whose turns may still be unwinding, closed ones included, until the gateway stops. */
  private readonly everySession = new Set<DeviceSession>();
  private readonly byDevice = new Map<string, DeviceSession>();
  private settingsTimer: NodeJS.Timeout | undefined;
  private polling = false;
  /** Set while the store cannot be read, so a broken store is logged once, not once per device per tick. */
  private settingsProblem: string | undefined;

  /** Upgrades refused at capacity: at most one line per CAPACITY_LOG_MS, with the count. */
  private readonly refusedAtCapacity = new OncePerInterval(CAPACITY_LOG_MS);
  /** One bound on secret checks for every connection: a crowd of wrong hellos cannot take the threads turns need. */
  private readonly verifyDevice: (deviceId: string, secret: string) => Promise<boolean>;

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly deps: GatewayDeps,
  ) {
    this.verifyDevice = limitSecretChecks((id, secret) => deps.store.verifyDevice(id, secret), {
      concurrency: deps.config.maxConcurrentSecretChecks,
      maxWaiting: deps.config.maxWaitingSecretChecks,
    });
  }

  static async start(deps: GatewayDeps): Promise<GatewayServer> {
    const bound = deps.config.upgradeTimeoutMs;
    // Node checks the bound only every connectionsCheckingInterval (30 s by default): check often enough to keep it.
    const http = createServer({ headersTimeout: bound, requestTimeout: bound, connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.round(bound / 4))) });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
    const gateway = new GatewayServer(http, wss, deps);
    http.on('request', (request, response) => {
      if (request.url === '/healthz') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: true, sessions: gateway.sessions.size, ...deps.health?.() }));
        return;
      }
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found\n');
    });
    http.on('upgrade', (request, socket, head) => {
      // Node removes its own error listener from upgraded sockets: a reset must not crash the gateway.
      socket.on('error', () => socket.destroy());
      const path = new URL(request.url ?? '/', 'http://gateway').pathname;
      if (path !== DEVICE_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      if (gateway.sessions.size >= deps.config.maxSessions) {
        // A crowd at the door would write a line per knock: one line per interval, with the count.
        const refused = gateway.refusedAtCapacity.note();
        if (refused !== undefined) deps.log('warn', 'refusing devices: at capacity', { sessions: gateway.sessions.size, refused });
        socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => gateway.accept(ws));
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(deps.config.port, deps.config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    // Parents change settings from another process (the CLI, the dashboard): re-read them for the
    // connected devices. One small keyed read per device per tick; ticks never overlap.
    gateway.settingsTimer = setInterval(() => void gateway.refreshSettings(), deps.config.settingsPollMs).unref();
    return gateway;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** The URL devices connect to. */
  get url(): string {
    const host = this.deps.config.host.includes(':') ? `[${this.deps.config.host}]` : this.deps.config.host;
    return `ws://${host}:${this.port}${DEVICE_PATH}`;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  sessionOf(deviceId: string): DeviceSession | undefined {
    return this.byDevice.get(deviceId);
  }

  /** Re-reads the parent settings of one connected device, or of all, and sends the changes. */
  async refreshSettings(deviceId?: string): Promise<void> {
    if (deviceId !== undefined) return this.refreshOne(deviceId);
    if (this.polling) return;
    this.polling = true;
    try {
      for (const id of [...this.byDevice.keys()]) await this.refreshOne(id);
    } finally {
      this.polling = false;
    }
  }

  private async refreshOne(deviceId: string): Promise<void> {
    try {
      const settings = await this.deps.store.deviceSettings(deviceId);
      this.byDevice.get(deviceId)?.applySettings(settings);
      if (this.settingsProblem !== undefined) this.deps.log('info', 'device settings readable again');
      this.settingsProblem = undefined;
    } catch (error) {
      const problem = (error as Error).message;
      if (this.settingsProblem !== problem) this.deps.log('warn', 'cannot read device settings', { device: deviceId, error: problem });
      this.settingsProblem = problem;
    }
  }

  private accept(ws: import('ws').WebSocket): void {
    const session = new DeviceSession(ws, {
      ...this.deps,
      verifyDevice: this.verifyDevice,
      claim: (deviceId, claimant) => {
        const previous = this.byDevice.get(deviceId);
        this.byDevice.set(deviceId, claimant);
        previous?.close(CloseCode.Replaced, 'the device connected again');
      },
      release: (deviceId, leaving) => {
        if (this.byDevice.get(deviceId) === leaving) this.byDevice.delete(deviceId);
      },
    });
    this.sessions.add(session);
    this.everySession.add(session);
    ws.on('close', () => {
      this.sessions.delete(session);
      void session.settled().then(() => this.everySession.delete(session));
    });
  }

  /** Closes every session (devices reconnect with backoff), stops listening, flushes the turn log. */
  async stop(): Promise<void> {
    clearInterval(this.settingsTimer);
    const closing = [...this.wss.clients].map((client) => new Promise((resolve) => client.once('close', resolve)));
    for (const session of this.sessions) session.close(CloseCode.GoingAway, 'gateway stopping');
    // Give devices a moment to receive the close frame, then cut whoever is left.
    const grace = new Promise((resolve) => setTimeout(resolve, 1000).unref());
    await Promise.race([Promise.all(closing), grace]);
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    // Aborted turns still record themselves; wait for them before the last flush.
    await Promise.all([...this.everySession].map((session) => session.settled()));
    await this.deps.turnLog.flush();
  }
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CloseCode } from '../../protocol/index.js';
import { Admission, type AdmissionRefusal, type AdmissionTicket } from './admission.js';
import { clientAddress } from './client-address.js';
import { DeviceSession, type SessionDeps } from './device-session.js';
import { limitSecretChecks, type LimitedVerify } from './secret-check-limit.js';
import { OncePerInterval } from './once-per-interval.js';

/** A refused upgrade's answer has this long to reach its peer before the socket is cut. */
const REFUSAL_GRACE_MS = 1000;

/** At most one log line about refusals at capacity this often. */
const CAPACITY_LOG_MS = 10_000;

/**
 * Answers an upgrade with `status` and closes the socket: not only our half, since a peer that never
 * closes its own would otherwise hold it for ever (Node no longer watches a socket once it is an upgrade).
 */
function refuseUpgrade(socket: Duplex, status: string, headers = ''): void {
  socket.end(`HTTP/1.1 ${status}\r\n${headers}Connection: close\r\n\r\n`);
  socket.once('finish', () => socket.destroy());
  // A peer that does not read would keep the answer from finishing.
  setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
}

/** The path devices connect to. */
export const DEVICE_PATH = '/v1/device';

type GatewayDeps = Omit<SessionDeps, 'claim' | 'release' | 'verifyDevice' | 'admission'> & {
  /** Added to /healthz: whether the gateway runs degraded and why (a full disk, records it cannot save). */
  readonly health?: () => { readonly status: string; readonly problems: readonly string[] };
};

/** Addresses whose refusals are counted apart for the log at once; past it the quietest is forgotten. */
const MAX_LOGGED_ADDRESSES = 1000;

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

  /** Who may open a socket and keep it: the pools and the per-address limits. */
  private readonly admission: Admission;
  /** Hellos refused at capacity, and upgrades refused with the pending pool full: at most one line each per CAPACITY_LOG_MS, with the count. */
  private readonly refusedAtCapacity = new OncePerInterval(CAPACITY_LOG_MS);
  private readonly refusedPoolFull = new OncePerInterval(CAPACITY_LOG_MS);
  /** Upgrades refused for an address's share: at most one line per address per CAPACITY_LOG_MS. */
  private readonly refusedByAddress = new Map<string, OncePerInterval>();
  /** Upgrades without the trusted proxy's address header. */
  private readonly refusedWithoutAddress = new OncePerInterval(CAPACITY_LOG_MS);
  /** One bound on secret checks for every connection: a crowd of wrong hellos cannot take the threads turns need. */
  private readonly verifyDevice: LimitedVerify;

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly deps: GatewayDeps,
  ) {
    this.admission = new Admission(deps.config);
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
        response.end(JSON.stringify({ ok: true, sessions: gateway.admission.sessions, pending: gateway.admission.pending, ...deps.health?.() }));
        return;
      }
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found\n');
    });
    http.on('upgrade', (request, socket, head) => {
      // Node removes its own error listener from upgraded sockets: a reset must not crash the gateway.
      socket.on('error', () => socket.destroy());
      // The path alone, without parsing: a request line new URL() cannot read must be a 404, not an exception.
      if ((request.url ?? '/').split('?')[0] !== DEVICE_PATH) return refuseUpgrade(socket, '404 Not Found');
      const address = clientAddress(request, deps.config.clientAddressHeader, deps.config.trustedProxies);
      if (!address.ok) {
        const refused = gateway.refusedWithoutAddress.note();
        if (refused !== undefined) deps.log('warn', 'refusing connections without a client address', { reason: address.reason, refused });
        return refuseUpgrade(socket, '400 Bad Request');
      }
      const admitted = gateway.admission.admit(address.key, (ticket, was) => gateway.evict(ticket, was));
      if (!admitted.ok) {
        gateway.logRefusal(address.key, admitted.refusal);
        return refuseUpgrade(socket, admitted.refusal.status === 429 ? '429 Too Many Requests' : '503 Service Unavailable', `Retry-After: ${admitted.refusal.retryAfterSeconds}\r\n`);
      }
      const ticket = admitted.ticket;
      // A socket that goes before its upgrade completes gives its place back; so does a session (device-session.ts).
      socket.once('close', () => {
        ticket.end();
        gateway.upgrading.delete(ticket);
      });
      gateway.upgrading.set(ticket, socket);
      wss.handleUpgrade(request, socket, head, (ws) => {
        gateway.upgrading.delete(ticket);
        if (ticket.state === 'ended') return void ws.terminate();
        gateway.accept(ws, ticket);
      });
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

  /** Devices that proved who they are. */
  get sessionCount(): number {
    return this.admission.sessions;
  }

  /** Sockets that have not, yet. */
  get pendingCount(): number {
    return this.admission.pending;
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

  /** Sockets admitted whose upgrade is not complete yet, so that one can be evicted before it is a session. */
  private readonly upgrading = new Map<AdmissionTicket, Duplex>();
  private readonly ticketOf = new Map<AdmissionTicket, DeviceSession>();

  /** Closes a socket whose place a newcomer took: a silent one as one whose hello never came, a waiting hello as busy. */
  private evict(ticket: AdmissionTicket, was: 'pending' | 'greeted'): void {
    const session = this.ticketOf.get(ticket);
    if (session === undefined) return void this.upgrading.get(ticket)?.destroy();
    if (was === 'pending') return session.close(CloseCode.HelloTimeout, 'no hello while others waited');
    session.refuseBusy('the gateway is busy checking other devices: try again');
  }

  private logRefusal(address: string, refusal: AdmissionRefusal): void {
    if (refusal.status === 503) {
      // A crowd at the door would write a line per knock: one line per interval, with the count.
      const refused = this.refusedPoolFull.note();
      if (refused !== undefined) this.deps.log('warn', 'refusing connections: too many not yet proved', { reason: refusal.reason, sessions: this.admission.sessions, pending: this.admission.pending, refused });
      return;
    }
    let limiter = this.refusedByAddress.get(address);
    if (limiter === undefined) {
      if (this.refusedByAddress.size >= MAX_LOGGED_ADDRESSES) this.refusedByAddress.delete(this.refusedByAddress.keys().next().value as string);
      this.refusedByAddress.set(address, (limiter = new OncePerInterval(CAPACITY_LOG_MS)));
    }
    const refused = limiter.note();
    if (refused !== undefined) this.deps.log('warn', 'refusing connections from an address', { address, reason: refusal.reason, refused });
  }

  private accept(ws: import('ws').WebSocket, ticket: AdmissionTicket): void {
    const session = new DeviceSession(ws, {
      ...this.deps,
      verifyDevice: this.verifyDevice,
      admission: ticket,
      claim: (deviceId, claimant) => {
        const previous = this.byDevice.get(deviceId);
        if (!ticket.authenticate(previous !== undefined)) {
          // A crowd of devices at a full gateway would write a line per try: one line per interval, with the count.
          const refused = this.refusedAtCapacity.note();
          if (refused !== undefined) this.deps.log('warn', 'refusing devices: at capacity', { sessions: this.admission.sessions, refused });
          return false;
        }
        this.byDevice.set(deviceId, claimant);
        previous?.close(CloseCode.Replaced, 'the device connected again');
        return true;
      },
      release: (deviceId, leaving) => {
        if (this.byDevice.get(deviceId) === leaving) this.byDevice.delete(deviceId);
      },
    });
    this.sessions.add(session);
    this.everySession.add(session);
    this.ticketOf.set(ticket, session);
    ws.on('close', () => {
      this.sessions.delete(session);
      this.ticketOf.delete(ticket);
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

import { isIP } from 'node:net';
import { DEFAULT_VOLUME, HELLO_TIMEOUT_MS, VOLUME_RANGE } from '../../protocol/index.js';
import type { PacingOptions } from '../turn/pace-frames.js';

/** Everything the gateway reads at start-up, validated once and frozen. */
export interface GatewayConfig {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** SQLite database file. */
  readonly databasePath: string;
  /** How long a socket may stay open without a hello: a device says it at once, a stranger's silent socket goes soon. */
  readonly helloTimeoutMs: number;
  /**
   * Sockets that have not yet proved who they are (no hello, or its secret being checked), at once: a
   * pool of their own beside maxSessions, so strangers cannot take a device's place. When it is full,
   * a newcomer takes the place of the oldest socket that has said nothing (cloud/session/admission.ts).
   */
  readonly maxPendingConnections: number;
  /** Of those, from one client address (an IPv4 address or an IPv6 /64); past it the upgrade gets HTTP 429. */
  readonly maxPendingPerAddress: number;
  /** Sockets from one client address, proved or not: a school behind one router has a classroom of toys. */
  readonly maxConnectionsPerAddress: number;
  /** Wrong hellos (unknown device, wrong secret) one address may send in a burst; then HTTP 429 until the allowance refills. */
  readonly maxFailedHellosPerAddress: number;
  /** The time over which a spent allowance of wrong hellos refills. */
  readonly failedHelloWindowMs: number;
  /**
   * Behind a reverse proxy: the header that carries the client's address (its last entry), e.g.
   * X-Forwarded-For. Unset: the socket's peer is the client, and no header is believed.
   */
  readonly clientAddressHeader?: string;
  /** The proxies whose clientAddressHeader is believed; from any other peer the header is ignored. */
  readonly trustedProxies: readonly string[];
  /** Bytes the gateway lets pile up unsent for one device before it closes the connection as not reading (SlowReader). */
  readonly maxBufferedBytes: number;
  /**
   * Audio frames a second one device may send, with a burst of twice that: a device sends 17. Scaled
   * by pacing.rate unless set, so a simulator running faster than real time stays within it. Frames
   * past it are dropped and counted; a second's worth of them closes (Flooding).
   */
  readonly maxFramesPerSecond: number;
  /** Text messages a second one device may send (burst twice that): a device sends a few a turn. Past it, as for audio. */
  readonly maxMessagesPerSecond: number;
  /** Error replies a second to one device; past it they are counted, not sent, so bad input cannot make the gateway write. */
  readonly maxErrorsPerSecond: number;
  /** Secret checks (scrypt, on libuv's four threads) running at once, over every connection: the rest of the threads stay free for turns. */
  readonly maxConcurrentSecretChecks: number;
  /**
   * Secret checks waiting for their turn; past it a hello is answered busy (retryable) at once. As many
   * as maxSessions, so that every toy reconnecting after a restart queues rather than being sent away.
   */
  readonly maxWaitingSecretChecks: number;
  /** The longest a client may take to send its HTTP request (the WebSocket upgrade among them): a half-sent one holds a socket. */
  readonly upgradeTimeoutMs: number;
  /** Told to devices in the welcome: they ping this often and give up after timeoutMs. */
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number };
  readonly pacing: Omit<PacingOptions, 'frameMs'>;
  readonly downlinkBitrate: number;
  /** The longest utterance kept, in uplink frames (60 ms each). */
  readonly maxUtteranceFrames: number;
  readonly maxSessions: number;
  /** The playback volume a device gets while its parent has chosen none, in protocol's VOLUME_RANGE. */
  readonly defaultVolume: number;
  /** The parent's maximum volume for a device while its parent has chosen none, in VOLUME_RANGE. */
  readonly defaultMaxVolume: number;
  /** How often connected devices' parent settings are re-read, so a change made elsewhere (another process, the dashboard) reaches the toy. */
  readonly settingsPollMs: number;
  /** From listen stop to the toy's first sound at most; shared out to the stages as timeouts (cloud/turn/turn-budget.ts). */
  readonly turnBudgetMs: number;
  /** A hands-free turn in which nothing is said for this long ends hands-free: a quiet room is not streamed for ever. */
  readonly handsFreeIdleMs: number;
}

export const DEFAULT_GATEWAY_CONFIG: GatewayConfig = Object.freeze({
  host: '127.0.0.1',
  port: 8787,
  databasePath: '.pommai/gateway.db',
  helloTimeoutMs: HELLO_TIMEOUT_MS,
  maxPendingConnections: 64,
  maxPendingPerAddress: 8,
  maxConnectionsPerAddress: 100,
  maxFailedHellosPerAddress: 10,
  failedHelloWindowMs: 60_000,
  trustedProxies: Object.freeze(['127.0.0.1', '::1']),
  upgradeTimeoutMs: 5000,
  maxConcurrentSecretChecks: 2,
  maxWaitingSecretChecks: 500,
  maxBufferedBytes: 256 * 1024,
  maxFramesPerSecond: 200,
  maxMessagesPerSecond: 50,
  maxErrorsPerSecond: 10,
  heartbeat: Object.freeze({ intervalMs: 10_000, timeoutMs: 5000 }),
  pacing: Object.freeze({ leadMs: 600, rate: 1 }),
  downlinkBitrate: 24_000,
  maxUtteranceFrames: 500,
  maxSessions: 500,
  defaultVolume: DEFAULT_VOLUME,
  defaultMaxVolume: 85,
  settingsPollMs: 1000,
  turnBudgetMs: 4000,
  handsFreeIdleMs: 20_000,
});

/** The most audio frames a second any setting allows one device. */
const MAX_FRAMES_PER_SECOND = 1_000_000;

export class ConfigError extends Error {
  readonly code = 'bad_config';
  readonly retryable = false;
}

type Overrides = { -readonly [K in keyof GatewayConfig]?: GatewayConfig[K] extends object ? Partial<GatewayConfig[K]> : GatewayConfig[K] };

/** Merges overrides into the defaults and checks every value; errors name the bad key. */
export function gatewayConfig(overrides: Overrides = {}): GatewayConfig {
  const merged = {
    ...DEFAULT_GATEWAY_CONFIG,
    ...overrides,
    heartbeat: { ...DEFAULT_GATEWAY_CONFIG.heartbeat, ...overrides.heartbeat },
    pacing: { ...DEFAULT_GATEWAY_CONFIG.pacing, ...overrides.pacing },
  };
  // A gateway whose clock runs R times faster (tests, the simulator's --speed) hears its devices' audio R times faster too.
  const rate = merged.pacing.rate;
  if (overrides.maxFramesPerSecond === undefined && typeof rate === 'number' && rate > 1) merged.maxFramesPerSecond = Math.min(MAX_FRAMES_PER_SECOND, Math.ceil(DEFAULT_GATEWAY_CONFIG.maxFramesPerSecond * rate));
  const int = (key: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`gateway config '${key}' must be an integer in ${min}..${max}, got ${value}`);
  };
  int('port', merged.port, 0, 65535);
  int('helloTimeoutMs', merged.helloTimeoutMs, 100, 600_000);
  int('maxPendingConnections', merged.maxPendingConnections, 1, 100_000);
  int('maxPendingPerAddress', merged.maxPendingPerAddress, 1, 100_000);
  int('maxConnectionsPerAddress', merged.maxConnectionsPerAddress, 1, 1_000_000);
  int('maxFailedHellosPerAddress', merged.maxFailedHellosPerAddress, 1, 100_000);
  int('failedHelloWindowMs', merged.failedHelloWindowMs, 1000, 86_400_000);
  int('upgradeTimeoutMs', merged.upgradeTimeoutMs, 100, 60_000);
  int('maxConcurrentSecretChecks', merged.maxConcurrentSecretChecks, 1, 64);
  int('maxWaitingSecretChecks', merged.maxWaitingSecretChecks, 0, 100_000);
  int('maxBufferedBytes', merged.maxBufferedBytes, 1024, 64 * 1024 * 1024);
  int('maxFramesPerSecond', merged.maxFramesPerSecond, 20, MAX_FRAMES_PER_SECOND);
  int('maxMessagesPerSecond', merged.maxMessagesPerSecond, 10, 100_000);
  int('maxErrorsPerSecond', merged.maxErrorsPerSecond, 1, 100_000);
  int('heartbeat.intervalMs', merged.heartbeat.intervalMs, 100, 600_000);
  int('heartbeat.timeoutMs', merged.heartbeat.timeoutMs, 100, 600_000);
  int('pacing.leadMs', merged.pacing.leadMs, 60, 10_000);
  int('downlinkBitrate', merged.downlinkBitrate, 6000, 128_000);
  int('maxUtteranceFrames', merged.maxUtteranceFrames, 10, 10_000);
  int('maxSessions', merged.maxSessions, 1, 100_000);
  int('defaultVolume', merged.defaultVolume, VOLUME_RANGE.min, VOLUME_RANGE.max);
  int('defaultMaxVolume', merged.defaultMaxVolume, VOLUME_RANGE.min, VOLUME_RANGE.max);
  int('settingsPollMs', merged.settingsPollMs, 50, 600_000);
  int('turnBudgetMs', merged.turnBudgetMs, 500, 600_000);
  int('handsFreeIdleMs', merged.handsFreeIdleMs, 1000, 600_000);
  if (!(merged.pacing.rate > 0 && merged.pacing.rate <= 1000)) throw new ConfigError(`gateway config 'pacing.rate' must be in (0, 1000], got ${merged.pacing.rate}`);
  if (typeof merged.host !== 'string' || merged.host === '') throw new ConfigError("gateway config 'host' must be a host name or address");
  if (merged.clientAddressHeader !== undefined && !/^[A-Za-z0-9-]+$/.test(merged.clientAddressHeader)) {
    throw new ConfigError(`gateway config 'clientAddressHeader' must be a header name such as X-Forwarded-For, got '${merged.clientAddressHeader}'`);
  }
  if (!Array.isArray(merged.trustedProxies) || !merged.trustedProxies.every((proxy) => isIP(proxy) !== 0)) {
    throw new ConfigError(`gateway config 'trustedProxies' must be a list of IP addresses, got ${JSON.stringify(merged.trustedProxies)}`);
  }
  if (typeof merged.databasePath !== 'string' || merged.databasePath === '') throw new ConfigError("gateway config 'databasePath' must be a file path");
  return Object.freeze({ ...merged, heartbeat: Object.freeze(merged.heartbeat), pacing: Object.freeze(merged.pacing), trustedProxies: Object.freeze([...merged.trustedProxies]) });
}

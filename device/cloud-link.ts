import type { Socket } from 'node:net';
import WebSocket from 'ws';
import {
  CloseCode,
  PROTOCOL_VERSION,
  decodeAudioFrame,
  encodeAudioFrame,
  encodeMessage,
  parseGatewayMessage,
  type AudioFrame,
  type DeviceMessage,
  type GatewayMessage,
  type HelloMessage,
  type WelcomeMessage,
} from '../protocol/index.js';
import { Backoff } from './backoff.js';
import type { Log } from '../log/log.js';

export interface CloudLinkOptions {
  readonly url: string;
  readonly hello: Omit<HelloMessage, 'type' | 'version'>;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** How long to wait for the socket to open and the welcome to arrive. */
  readonly connectTimeoutMs: number;
  readonly log: Log;
  readonly random?: () => number;
}

export interface CloudLinkHandlers {
  onUp(welcome: WelcomeMessage): void;
  onDown(reason: string): void;
  onMessage(message: GatewayMessage): void;
  onAudio(frame: AudioFrame): void;
  /** The gateway refused this device (wrong secret, other protocol version); retries go on slowly. */
  onRefused(code: number, reason: string): void;
}

/** Bytes through the TCP socket, WebSocket framing included. */
export interface LinkTraffic {
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/**
 * The device's one persistent WebSocket to the gateway: hello and welcome,
 * heartbeat pings with a pong timeout, reconnection with backoff and jitter.
 * It is "up" only between a welcome and the next failure.
 */
export class CloudLink {
  private socket: WebSocket | undefined;
  private tcp: Socket | undefined;
  private up = false;
  private stopped = true;
  private readonly backoff: Backoff;
  private timers = new Set<NodeJS.Timeout>();
  private pingId = 0;
  private awaitingPong: number | undefined;
  private sentBefore = 0;
  private receivedBefore = 0;
  /** Why the last attempt to reach the gateway failed, for people wondering why the toy is offline. */
  lastError: string | undefined;
  /** Counts of frames the gateway sent that did not parse; they are logged, never fatal. */
  rejectedFrames = 0;

  constructor(
    private readonly options: CloudLinkOptions,
    private readonly handlers: CloudLinkHandlers,
  ) {
    this.backoff = new Backoff(options.backoff.initialMs, options.backoff.maxMs, options.random);
  }

  get isUp(): boolean {
    return this.up;
  }

  get traffic(): LinkTraffic {
    return {
      bytesSent: this.sentBefore + (this.tcp?.bytesWritten ?? 0),
      bytesReceived: this.receivedBefore + (this.tcp?.bytesRead ?? 0),
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    if (!socket) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.close(1000, 'device stopping');
    const forced = this.after(1000, () => socket.terminate());
    await closed;
    clearTimeout(forced);
  }

  /** Sends a control message; false when the link is down (the caller's turn has failed). */
  send(message: DeviceMessage): boolean {
    if (!this.up || !this.socket) return false;
    this.socket.send(encodeMessage(message));
    return true;
  }

  sendAudio(frame: AudioFrame): boolean {
    if (!this.up || !this.socket) return false;
    // Audio is worthless late: while the socket is backed up, drop rather than queue without bound.
    if (this.socket.bufferedAmount > 64 * 1024) return false;
    this.socket.send(encodeAudioFrame(frame));
    return true;
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = new WebSocket(this.options.url, {
      perMessageDeflate: false,
      maxPayload: 64 * 1024,
      handshakeTimeout: this.options.connectTimeoutMs,
    });
    this.socket = socket;
    const welcomeTimer = this.after(this.options.connectTimeoutMs, () => this.fail(socket, 'no welcome in time'));

    socket.on('upgrade', (response) => {
      this.tcp = response.socket as Socket;
    });
    socket.on('open', () => {
      const hello: HelloMessage = { type: 'hello', version: PROTOCOL_VERSION, ...this.options.hello };
      socket.send(encodeMessage(hello));
    });
    socket.on('message', (data, isBinary) => {
      if (socket !== this.socket) return;
      if (isBinary) return this.receiveAudio(data as Buffer);
      const parsed = parseGatewayMessage(data.toString());
      if (!parsed.ok) {
        this.rejectedFrames++;
        this.options.log('warn', 'gateway sent a bad frame', { code: parsed.error.code, detail: parsed.error.message });
        return;
      }
      const message = parsed.message;
      if (message.type === 'welcome') {
        clearTimeout(welcomeTimer);
        this.timers.delete(welcomeTimer);
        return this.welcomed(socket, message);
      }
      if (message.type === 'pong') {
        if (message.id === this.awaitingPong) this.awaitingPong = undefined;
        return;
      }
      if (message.type === 'ping') {
        socket.send(encodeMessage({ type: 'pong', id: message.id }));
        return;
      }
      if (this.up) this.handlers.onMessage(message);
    });
    socket.on('error', (error) => {
      this.lastError = error.message;
      this.options.log('debug', 'link error', { error: error.message });
    });
    socket.on('close', (code, reason) => {
      clearTimeout(welcomeTimer);
      this.timers.delete(welcomeTimer);
      if (socket !== this.socket) return;
      this.closed(code, reason.toString());
    });
  }

  private welcomed(socket: WebSocket, welcome: WelcomeMessage): void {
    if (welcome.version !== PROTOCOL_VERSION) {
      this.options.log('error', 'gateway speaks another protocol version', { theirs: welcome.version, ours: PROTOCOL_VERSION });
      this.fail(socket, 'protocol version mismatch');
      return;
    }
    this.up = true;
    this.lastError = undefined;
    this.backoff.reset();
    this.heartbeat(socket, welcome.heartbeat.intervalMs, welcome.heartbeat.timeoutMs);
    this.handlers.onUp(welcome);
  }

  private heartbeat(socket: WebSocket, intervalMs: number, timeoutMs: number): void {
    const beat = () => {
      if (socket !== this.socket || !this.up) return;
      // One ping at a time: a new ping must not hide the unanswered one from its timeout.
      if (this.awaitingPong !== undefined) return void this.after(intervalMs, beat);
      const id = (this.pingId = (this.pingId + 1) >>> 0);
      this.awaitingPong = id;
      socket.send(encodeMessage({ type: 'ping', id }));
      this.after(timeoutMs, () => {
        if (this.awaitingPong === id && socket === this.socket) this.fail(socket, 'no pong in time');
      });
      this.after(intervalMs, beat);
    };
    this.after(intervalMs, beat);
  }

  private receiveAudio(data: Buffer): void {
    if (!this.up) return;
    const decoded = decodeAudioFrame(data);
    if (!decoded.ok) {
      this.rejectedFrames++;
      this.options.log('warn', 'gateway sent a bad audio frame', { detail: decoded.error.message });
      return;
    }
    this.handlers.onAudio(decoded.frame);
  }

  private fail(socket: WebSocket, reason: string): void {
    this.options.log('warn', 'dropping the link', { reason });
    socket.terminate();
  }

  private closed(code: number, reason: string): void {
    this.sentBefore += this.tcp?.bytesWritten ?? 0;
    this.receivedBefore += this.tcp?.bytesRead ?? 0;
    this.tcp = undefined;
    this.socket = undefined;
    this.awaitingPong = undefined;
    this.clearTimers();
    const wasUp = this.up;
    this.up = false;
    if (wasUp) this.handlers.onDown(reason || `closed with code ${code}`);
    if (this.stopped) return;
    // A refused secret or version will not be fixed by trying again soon.
    const hopeless = code === CloseCode.Unauthorized || code === CloseCode.VersionMismatch;
    if (hopeless) {
      this.options.log('error', 'gateway refused this device', { code, reason });
      this.handlers.onRefused(code, reason);
    }
    const delay = hopeless ? this.backoff.longest() : this.backoff.next();
    this.options.log('info', 'reconnecting', { inMs: delay, code });
    this.after(delay, () => this.connect());
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

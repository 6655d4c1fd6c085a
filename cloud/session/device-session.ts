import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import type { Log } from '../../log/log.js';
import {
  CloseCode,
  DOWNLINK_AUDIO,
  ErrorCode,
  PROTOCOL_VERSION,
  encodeMessage,
  parseDeviceMessage,
  type DeviceMessage,
  type GatewayMessage,
  type HelloMessage,
  type ListenMessage,
  type ToySettings,
} from '../../protocol/index.js';
import type { ConversationMemories } from '../memory/conversation-memories.js';
import type { ConversationMemory } from '../memory/conversation-memory.js';
import { turnPrompt } from '../memory/turn-prompt.js';
import type { TurnProviders } from '../providers/turn-providers.js';
import type { ParentSettings, Store } from '../store/store.js';
import type { TurnLog } from '../store/turn-log.js';
import type { ToyProfile } from '../toy/toy-profile.js';
import type { ReplyCache } from '../turn/reply-cache.js';
import type { Vad } from '../vad/vad.js';
import type { AdmissionTicket } from './admission.js';
import { DeviceHandshake, type Refused } from './device-handshake.js';
import type { GatewayConfig } from './gateway-config.js';
import { newSessionCounters, type SessionCounters } from './session-counters.js';
import { SessionTimers } from './session-timers.js';
import { SessionTurns } from './session-turns.js';
import { FrameAllowance, type FrameVerdict } from './frame-allowance.js';
import { OncePerInterval } from './once-per-interval.js';
import { TokenBucket } from './token-bucket.js';
import { sameToySettings, toySettingsFor } from './toy-settings.js';
import { TurnRunner } from './turn-runner.js';
import { UplinkRouter } from './uplink-router.js';

export type { SessionCounters } from './session-counters.js';

export interface SessionDeps {
  readonly config: GatewayConfig;
  readonly providers: TurnProviders;
  readonly store: Store;
  readonly turnLog: TurnLog;
  readonly toy: ToyProfile;
  /** Each child's conversation with the toy. */
  readonly memories: ConversationMemories;
  /** A voice activity detector for one hands-free microphone stream. */
  readonly vad: () => Vad;
  /** Replies to a conversation's first words; none when the language model is quick and local anyway. */
  readonly replies?: ReplyCache;
  readonly log: Log;
  /**
   * Checks a device's secret; the gateway bounds how many run at once (secret-check-limit.ts) and
   * skips the check of a socket gone while it waited (`wanted`). Default: the store's.
   */
  readonly verifyDevice?: (deviceId: string, secret: string, wanted?: () => boolean) => Promise<boolean>;
  /**
   * Called once the device proved who it is; an older session of the same device is closed by it.
   * False: the gateway has no session left for the device, which is told busy.
   */
  readonly claim: (deviceId: string, session: DeviceSession) => boolean;
  readonly release: (deviceId: string, session: DeviceSession) => void;
  /** This socket's place at the gateway (admission.ts): told of the hello, of a wrong one, and of the end. None: unbounded (tests). */
  readonly admission?: Pick<AdmissionTicket, 'greet' | 'mayCheckSecret' | 'failedHello' | 'end'>;
}

/** At most one log line about a device's bad frames this often: a flood must not fill the disk with lines. */
const BAD_FRAME_LOG_MS = 10_000;

/** A peer closed by the gateway has this long to answer the close frame before its socket is cut: a silent one would hold it for 30 s. */
const CLOSE_GRACE_MS = 1000;

/**
 * One connected device: the handshake, then its turns. Everything the device
 * sends is validated; bad input is answered with an error and the session
 * lives on, except where the contract says the connection must close. This
 * wires the pieces: the handshake, the clocks, the uplink router, the turns as
 * the state table says (session-turns.ts) and the pipeline that runs them.
 */
export class DeviceSession {
  readonly id = randomUUID();
  readonly counters: SessionCounters = newSessionCounters();
  private deviceId: string | undefined;
  private closed = false;
  /** The child's conversation with the toy, kept across sessions; opened once the device is known. */
  private memory: ConversationMemory | undefined;
  private capabilities: ReadonlySet<string> = new Set();
  /** What the device was last told of its settings. */
  private toySettings: ToySettings | undefined;
  private readonly handshake: DeviceHandshake;
  private readonly timers: SessionTimers;
  private readonly router: UplinkRouter;
  private readonly runner: TurnRunner;
  private readonly turns: SessionTurns;
  /** The frames this device may send, and the error replies it may cause: a flood costs its sender alone. */
  private readonly audioIn: FrameAllowance;
  private readonly messagesIn: FrameAllowance;
  private readonly errorReplies: TokenBucket;
  /** Bad frames are logged once per BAD_FRAME_LOG_MS, with the count of the ones in between. */
  private readonly badFrameLog = new OncePerInterval(BAD_FRAME_LOG_MS);

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: SessionDeps,
  ) {
    this.handshake = new DeviceHandshake(
      {
        verifyDevice: deps.verifyDevice ? (id, secret) => deps.verifyDevice!(id, secret, () => !this.closed) : (id, secret) => deps.store.verifyDevice(id, secret),
        deviceSettings: (id) => deps.store.deviceSettings(id),
      },
      deps.admission,
    );
    this.timers = new SessionTimers((which) =>
      which === 'hello' ? this.close(CloseCode.HelloTimeout, 'no hello in time') : this.close(CloseCode.HeartbeatTimeout, 'nothing heard from the device'),
    );
    this.runner = new TurnRunner({
      config: deps.config,
      providers: deps.providers,
      toy: deps.toy,
      turnLog: deps.turnLog,
      ...(deps.replies ? { replies: deps.replies } : {}),
      log: deps.log,
      sessionId: this.id,
      deviceId: () => this.deviceId,
      memory: () => this.memory,
      prompt: turnPrompt({ store: deps.store, toy: deps.toy, memory: () => this.memory, log: deps.log, logFields: { session: this.id } }),
      send: (message) => this.send(message),
      sendFrame: (frame) => {
        if (this.closed) return;
        this.socket.send(frame);
        this.counters.framesSent++;
        this.checkBuffered();
      },
    });
    this.turns = new SessionTurns({
      config: deps.config,
      vad: deps.vad,
      counters: this.counters,
      send: (message) => this.send(message),
      run: (turn, ended) => this.runner.start(turn, ended),
      log: deps.log,
      logFields: () => ({ session: this.id, device: this.deviceId }),
      broken: (error) => {
        this.deps.log('error', 'session failed', { session: this.id, device: this.deviceId, error: error.message });
        this.close(CloseCode.GoingAway, 'gateway error');
      },
    });
    this.router = new UplinkRouter(this.turns.routes, this.counters, {
      maxUtteranceFrames: deps.config.maxUtteranceFrames,
      reportBadFrame: (code, message) => this.error(code, message, false),
    });
    this.audioIn = new FrameAllowance(deps.config.maxFramesPerSecond);
    this.messagesIn = new FrameAllowance(deps.config.maxMessagesPerSecond);
    this.errorReplies = new TokenBucket(deps.config.maxErrorsPerSecond, 2 * deps.config.maxErrorsPerSecond);
    this.timers.awaitHello(deps.config.helloTimeoutMs);
    socket.on('message', (data, isBinary) => {
      // ws still delivers frames that arrive during the closing handshake: they must not start turns.
      if (this.closed) return;
      const verdict = (isBinary ? this.audioIn : this.messagesIn).take();
      if (verdict !== 'read') return this.overLimit(verdict);
      if (this.deviceId) this.timers.heard(deps.config.heartbeat);
      if (isBinary) this.receiveAudio(data as Buffer);
      else this.receiveText(data.toString());
    });
    socket.on('close', () => this.ended());
    socket.on('error', (error) => deps.log('debug', 'socket error', { session: this.id, error: error.message }));
  }

  /** Resolves when every turn of this session has finished and been handed to the turn log. */
  async settled(): Promise<void> {
    await this.runner.settled();
  }

  get device(): string | undefined {
    return this.deviceId;
  }

  /** Closes the connection with a contract close code; the turn in flight is aborted and logged. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.deps.log('info', 'closing session', { session: this.id, device: this.deviceId, code, reason });
    this.socket.close(code, reason);
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
    this.ended();
  }

  /** Sends the device away while its hello waits for its check: told busy (retryable), closed with 1001. */
  refuseBusy(message: string): void {
    this.refuse({ ok: false, error: { code: ErrorCode.Busy, message, retryable: true }, close: { code: CloseCode.GoingAway, reason: 'busy' } }, this.deviceId ?? '');
  }

  /**
   * The parent's settings as they are now (re-read by the gateway): a change is
   * sent to the device at once, and a lock ends the turn in progress.
   */
  applySettings(settings: ParentSettings): void {
    if (this.closed || this.toySettings === undefined) return;
    const next = this.toyWith(settings);
    if (sameToySettings(next, this.toySettings)) return;
    this.toySettings = next;
    this.deps.log('info', 'settings changed', { session: this.id, device: this.deviceId, volume: next.volume, maxVolume: next.maxVolume, locked: next.locked });
    // The device hears of the lock first, so it ends the turn as "locked" rather than as a failure.
    this.send({ type: 'settings', toy: next });
    this.turns.locked(next.locked);
  }

  private ended(): void {
    if (this.closed) return;
    this.closed = true;
    this.deps.admission?.end();
    this.timers.stop();
    const { framesOverLimit, errorsSuppressed } = this.counters;
    const badFramesNotLogged = this.badFrameLog.unreported;
    if (framesOverLimit + errorsSuppressed + badFramesNotLogged > 0) {
      this.deps.log('info', 'session ended with input not answered', { session: this.id, device: this.deviceId, framesOverLimit, errorsSuppressed, badFramesNotLogged });
    }
    this.turns.disconnect();
    if (this.deviceId) this.deps.release(this.deviceId, this);
    const memory = this.memory;
    const device = this.deviceId;
    // The memory is saved once the last turn (an aborted one still unwinds) has been remembered.
    if (memory && device) void this.deps.memories.close(device, memory, this.settled());
  }

  private send(message: GatewayMessage): void {
    if (this.closed) return;
    this.socket.send(encodeMessage(message));
    this.checkBuffered();
  }

  /** A device that does not read would make the gateway hold all it is sent: past the bound it is let go. */
  private checkBuffered(): void {
    if (this.closed || this.socket.bufferedAmount <= this.deps.config.maxBufferedBytes) return;
    this.deps.log('warn', 'device is not reading', { session: this.id, device: this.deviceId, bufferedBytes: this.socket.bufferedAmount });
    this.close(CloseCode.SlowReader, 'not reading');
    // The close frame would wait behind everything unread: the memory is let go now.
    this.socket.terminate();
  }

  /** A frame past its allowance is dropped unread; a flood of them ends the session. */
  private overLimit(verdict: Exclude<FrameVerdict, 'read'>): void {
    this.counters.framesOverLimit++;
    if (verdict === 'drop') return;
    this.deps.log('warn', 'device is flooding', { session: this.id, device: this.deviceId, framesOverLimit: this.counters.framesOverLimit });
    this.close(CloseCode.Flooding, 'too many frames');
    // Nothing more is read: the flood waits in the peer's own buffers, and the close frame reaches it
    // before the grace is over and the socket is cut (cutting at once would reset the connection
    // with the flood unread, and the peer would never learn why).
    this.socket.pause();
  }

  private error(code: string, message: string, retryable: boolean, turn?: number): void {
    if (!this.errorReplies.take()) {
      this.counters.errorsSuppressed++;
      return;
    }
    this.send({ type: 'error', code, message, retryable, ...(turn === undefined ? {} : { turn }) });
  }

  private receiveText(text: string): void {
    const parsed = parseDeviceMessage(text);
    if (!parsed.ok && parsed.error.code === ErrorCode.VersionMismatch && this.handshake.greeted) {
      // Only the first hello's version decides the session; one of another version is a second hello.
      this.error(ErrorCode.DuplicateHello, 'this session has already said hello', false);
      return;
    }
    if (!parsed.ok) {
      this.counters.badFrames++;
      const count = this.badFrameLog.note();
      if (count !== undefined) {
        this.deps.log('warn', 'bad frame from device', { session: this.id, device: this.deviceId, code: parsed.error.code, detail: parsed.error.message, ...(count > 1 ? { notLogged: count - 1 } : {}) });
      }
      this.error(parsed.error.code, parsed.error.message, false);
      if (parsed.error.code === ErrorCode.VersionMismatch) this.close(CloseCode.VersionMismatch, 'protocol version mismatch');
      return;
    }
    const message = parsed.message;
    if (message.type === 'hello') return void this.hello(message);
    if (!this.deviceId) {
      this.error(ErrorCode.NotReady, `'${message.type}' before hello`, false);
      this.close(CloseCode.ProtocolError, 'the first message must be hello');
      return;
    }
    this.receive(message);
  }

  private receive(message: Exclude<DeviceMessage, HelloMessage>): void {
    switch (message.type) {
      case 'listen':
        return message.state === 'start' ? this.listenStart(message) : this.turns.listenStop(message);
      case 'abort':
        return this.turns.abort(message.turn, message.reason);
      case 'report':
        return this.runner.reported(message.turn, message.timings);
      case 'ping':
        return this.send({ type: 'pong', id: message.id });
      case 'pong':
        return;
    }
  }

  private receiveAudio(data: Buffer): void {
    this.counters.framesReceived++;
    if (!this.deviceId) {
      this.error(ErrorCode.NotReady, 'audio before hello', false);
      this.close(CloseCode.ProtocolError, 'the first message must be hello');
      return;
    }
    this.router.route(data);
  }

  private async hello(hello: HelloMessage): Promise<void> {
    const result = await this.handshakeOf(hello);
    if (!result.ok) return this.refuse(result, hello.deviceId);
    if (this.closed) return;
    // Claiming closes an older session of this device, which hands its memory back first.
    if (!this.deps.claim(result.deviceId, this)) {
      return this.refuse({ ok: false, error: { code: ErrorCode.Busy, message: 'the gateway has no session left: try again', retryable: true }, close: { code: CloseCode.GoingAway, reason: 'at capacity' } }, hello.deviceId);
    }
    this.deviceId = result.deviceId;
    this.capabilities = result.capabilities;
    // What the child and the toy said before, read once that older session's memory is saved.
    // A store that cannot give it leaves the memory empty.
    const memory = await this.deps.memories.open(result.deviceId);
    if (this.closed) {
      void this.deps.memories.close(result.deviceId, memory);
      return;
    }
    this.memory = memory;
    this.timers.heard(this.deps.config.heartbeat);
    this.deps.log('info', 'device connected', { session: this.id, device: result.deviceId, firmware: hello.firmware });
    this.toySettings = this.toyWith(result.settings);
    this.send({ type: 'welcome', version: PROTOCOL_VERSION, sessionId: this.id, audio: DOWNLINK_AUDIO, toy: this.toySettings, heartbeat: this.deps.config.heartbeat });
    if (this.toySettings.locked) this.turns.locked(true);
  }

  /** The handshake's answer; the hello timer stops as soon as a hello is taken, a slow check or not. */
  private handshakeOf(hello: HelloMessage) {
    const answer = this.handshake.hello(hello);
    if (this.handshake.greeted) {
      this.timers.helloArrived();
      this.deps.admission?.greet();
    }
    return answer;
  }

  private refuse(refused: Refused, deviceId: string): void {
    if (refused.log) this.deps.log(refused.log.level, refused.log.message, { session: this.id, device: deviceId, ...(refused.log.error ? { error: refused.log.error } : {}) });
    if (this.closed) return;
    // At most one a hello, and the device must learn why: never counted against the error allowance.
    this.send({ type: 'error', code: refused.error.code, message: refused.error.message, retryable: refused.error.retryable });
    if (refused.close) this.close(refused.close.code, refused.close.reason);
  }

  private toyWith(settings: ParentSettings): ToySettings {
    const { defaultVolume, defaultMaxVolume } = this.deps.config;
    return toySettingsFor({ name: this.deps.toy.name, defaultVolume, defaultMaxVolume }, settings);
  }

  private listenStart(message: ListenMessage): void {
    // A locked toy's answer is the lock, whatever else is wrong with the request.
    if (this.turns.state === 'locked') return this.turns.listenStart(message);
    if (this.turns.turn === message.turn) {
      this.error(ErrorCode.TurnInProgress, `turn ${message.turn} has already started`, false, message.turn);
      return;
    }
    if (message.mode === 'hands_free' && !this.capabilities.has('hands_free')) {
      this.error(ErrorCode.InvalidMessage, "listen: mode 'hands_free' needs the 'hands_free' capability in the hello", false, message.turn);
      return;
    }
    this.turns.listenStart(message);
  }
}

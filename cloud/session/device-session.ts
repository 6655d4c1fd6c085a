import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { createOpusDecoder, createOpusEncoder, type OpusDecoder, type OpusEncoder } from '../../audio/opus-codec.js';
import {
  AudioKind,
  CloseCode,
  DOWNLINK_AUDIO,
  ErrorCode,
  PROTOCOL_VERSION,
  UPLINK_AUDIO,
  decodeAudioFrame,
  encodeAudioFrame,
  frameSamples,
  encodeMessage,
  parseDeviceMessage,
  type DeviceMessage,
  type GatewayMessage,
  type HelloMessage,
  type ListenMessage,
  type ToySettings,
} from '../../protocol/index.js';
import { BoundedQueue } from '../turn/bounded-queue.js';
import type { GatewayConfig } from './gateway-config.js';
import type { Log } from '../../log/log.js';
import type { ChatMessage } from '../providers/llm/llm.js';
import type { ConversationMemories } from '../memory/conversation-memories.js';
import type { ConversationMemory } from '../memory/conversation-memory.js';
import { withKnowledge } from '../memory/knowledge-prompt.js';
import { systemPrompt } from '../toy/system-prompt.js';
import type { TurnLog } from '../store/turn-log.js';
import type { ReplyCache } from '../turn/reply-cache.js';
import { HandsFreeListener } from './hands-free-listener.js';
import type { Vad } from '../vad/vad.js';
import type { ParentSettings, Store } from '../store/store.js';
import type { ToyProfile } from '../toy/toy-profile.js';
import { runTurn } from '../turn/turn-pipeline.js';
import type { TurnProviders } from '../providers/turn-providers.js';
import { DEFAULT_TURN_BUDGET } from '../turn/turn-budget.js';
import { TurnReportJoiner } from '../store/turn-report-joiner.js';

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
  /** Called once the device proved who it is; returns false if the session must not go on. */
  readonly claim: (deviceId: string, session: DeviceSession) => void;
  readonly release: (deviceId: string, session: DeviceSession) => void;
}

/** Counters a parent, an operator or a test can read. */
export interface SessionCounters {
  framesReceived: number;
  /** Audio outside listen start/stop, or of another turn: dropped, never heard. */
  framesDropped: number;
  framesSent: number;
  badFrames: number;
  turns: number;
}

interface ActiveTurn {
  readonly turn: number;
  readonly controller: AbortController;
  readonly pcm: BoundedQueue<Int16Array>;
  /** Push-to-talk only: a hands-free stream has one decoder across its turns. */
  readonly decoder: OpusDecoder | undefined;
  readonly startedAt: Date;
  listening: boolean;
  listenStoppedAt?: number;
  /** Uplink frames taken into this turn, bounded by maxUtteranceFrames. */
  accepted: number;
  /** The pipeline runs (a hands-free turn starts it only once the child speaks). */
  started: boolean;
  /** Timings the session measured itself (the pause waited for in hands-free). */
  readonly extraTimings: Record<string, number>;
}

/** Facts of the toy's knowledge sent with a turn: the best few, so the prompt stays short. */
const KNOWLEDGE_PER_TURN = 3;

/**
 * One connected device: the handshake, then turns. Everything the device sends
 * is validated; bad input is answered with an error and the session lives on,
 * except where the contract says the connection must close.
 */
export class DeviceSession {
  readonly id = randomUUID();
  private deviceId: string | undefined;
  private authenticating = false;
  private active: ActiveTurn | undefined;
  /** The child's conversation with the toy, kept across sessions; opened once the device is known. */
  private memory: ConversationMemory | undefined;
  /** Turns answered in this session: the first one may come from the reply cache. */
  private answered = 0;
  private encoder: OpusEncoder | undefined;
  private helloTimer: NodeJS.Timeout;
  private silenceTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** What the device was last told of its settings. */
  private toySettings: ToySettings | undefined;
  /** Turns still unwinding (an aborted turn finishes and is logged after the abort). */
  private readonly running = new Set<Promise<void>>();
  /** Their numbers, so a report can tell a turn still unwinding from one the session never ran. */
  private readonly runningTurns = new Set<number>();
  private readonly recorder: TurnReportJoiner;
  private capabilities: ReadonlySet<string> = new Set();
  /**
   * The hands-free microphone, while the device is in hands-free mode: one continuous stream
   * across turns, so one decoder for all of it.
   */
  private handsFree: { readonly listener: HandsFreeListener; readonly decoder: OpusDecoder } | undefined;
  readonly counters: SessionCounters = { framesReceived: 0, framesDropped: 0, framesSent: 0, badFrames: 0, turns: 0 };

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: SessionDeps,
  ) {
    this.recorder = new TurnReportJoiner({ write: (turn) => deps.turnLog.write(turn), remember: 8, running: (turn) => this.runningTurns.has(turn) });
    this.helloTimer = setTimeout(() => this.close(CloseCode.HelloTimeout, 'no hello in time'), deps.config.helloTimeoutMs);
    socket.on('message', (data, isBinary) => {
      // ws still delivers frames that arrive during the closing handshake: they must not start turns.
      if (this.closed) return;
      this.heard();
      if (isBinary) this.receiveAudio(data as Buffer);
      else this.receiveText(data.toString());
    });
    socket.on('close', () => this.ended());
    socket.on('error', (error) => deps.log('debug', 'socket error', { session: this.id, error: error.message }));
  }

  /** Resolves when every turn of this session has finished and been handed to the turn log. */
  async settled(): Promise<void> {
    await Promise.all(this.running);
  }

  get device(): string | undefined {
    return this.deviceId;
  }

  /** Closes the connection with a contract close code; the turn in flight is aborted and logged. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.deps.log('info', 'closing session', { session: this.id, device: this.deviceId, code, reason });
    this.socket.close(code, reason);
    this.ended();
  }

  private ended(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.helloTimer);
    clearTimeout(this.silenceTimer);
    this.abortTurn('disconnected');
    if (this.deviceId) this.deps.release(this.deviceId, this);
    const memory = this.memory;
    const device = this.deviceId;
    // The memory is saved once the last turn (an aborted one still unwinds) has been remembered.
    if (memory && device) void this.deps.memories.close(device, memory, this.settled());
  }

  /** The device must be heard from at least every heartbeat interval plus timeout. */
  private heard(): void {
    if (!this.deviceId || this.closed) return;
    clearTimeout(this.silenceTimer);
    const { intervalMs, timeoutMs } = this.deps.config.heartbeat;
    this.silenceTimer = setTimeout(() => this.close(CloseCode.HeartbeatTimeout, 'nothing heard from the device'), intervalMs + timeoutMs);
  }

  private send(message: GatewayMessage): void {
    if (this.closed) return;
    this.socket.send(encodeMessage(message));
  }

  private error(code: string, message: string, retryable: boolean, turn?: number): void {
    this.send({ type: 'error', code, message, retryable, ...(turn === undefined ? {} : { turn }) });
  }

  private receiveText(text: string): void {
    const parsed = parseDeviceMessage(text);
    if (!parsed.ok) {
      this.counters.badFrames++;
      this.deps.log('warn', 'bad frame from device', { session: this.id, device: this.deviceId, code: parsed.error.code, detail: parsed.error.message });
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
    this.dispatch(message);
  }

  private dispatch(message: Exclude<DeviceMessage, HelloMessage>): void {
    switch (message.type) {
      case 'listen':
        return message.state === 'start' ? this.listenStart(message) : this.listenStop(message);
      case 'abort':
        if (this.active?.turn === message.turn) this.abortTurn(`device: ${message.reason}`);
        return;
      case 'report':
        return this.recorder.reported(message.turn, message.timings);
      case 'ping':
        return this.send({ type: 'pong', id: message.id });
      case 'pong':
        return;
    }
  }

  private async hello(hello: HelloMessage): Promise<void> {
    if (this.deviceId || this.authenticating) {
      this.error(ErrorCode.DuplicateHello, 'this session has already said hello', false);
      return;
    }
    if (hello.version !== PROTOCOL_VERSION) {
      this.error(ErrorCode.VersionMismatch, `gateway speaks protocol ${PROTOCOL_VERSION}, device sent ${hello.version}`, false);
      this.close(CloseCode.VersionMismatch, 'protocol version mismatch');
      return;
    }
    if (hello.audio.sampleRate !== UPLINK_AUDIO.sampleRate || hello.audio.frameMs !== UPLINK_AUDIO.frameMs) {
      this.error(ErrorCode.InvalidMessage, `uplink audio must be opus ${UPLINK_AUDIO.sampleRate} Hz in ${UPLINK_AUDIO.frameMs} ms frames`, false);
      this.close(CloseCode.ProtocolError, 'unsupported audio parameters');
      return;
    }
    this.authenticating = true;
    // The hello came in time; a slow secret check must not be mistaken for a silent device.
    clearTimeout(this.helloTimer);
    let known = false;
    let settings: ParentSettings = {};
    try {
      known = await this.deps.store.verifyDevice(hello.deviceId, hello.secret);
      if (known) settings = await this.deps.store.deviceSettings(hello.deviceId);
    } catch (error) {
      this.deps.log('error', 'cannot check the device or read its settings', { session: this.id, error: (error as Error).message });
      this.error(ErrorCode.Busy, 'the gateway cannot check devices right now', true);
      this.close(CloseCode.GoingAway, 'store unavailable');
      return;
    }
    if (this.closed) return;
    if (!known) {
      this.deps.log('warn', 'device refused', { session: this.id, device: hello.deviceId });
      this.error(ErrorCode.Unauthorized, 'unknown device or wrong secret', false);
      this.close(CloseCode.Unauthorized, 'unauthorized');
      return;
    }
    clearTimeout(this.helloTimer);
    this.deviceId = hello.deviceId;
    this.capabilities = new Set(hello.capabilities);
    // Claiming closes an older session of this device, which hands its memory back first.
    this.deps.claim(hello.deviceId, this);
    // What the child and the toy said before, read once that older session's memory is saved.
    // A store that cannot give it leaves the memory empty.
    const memory = await this.deps.memories.open(hello.deviceId);
    if (this.closed) {
      void this.deps.memories.close(hello.deviceId, memory);
      return;
    }
    this.memory = memory;
    this.heard();
    this.deps.log('info', 'device connected', { session: this.id, device: hello.deviceId, firmware: hello.firmware });
    this.toySettings = this.toyWith(settings);
    this.send({
      type: 'welcome',
      version: PROTOCOL_VERSION,
      sessionId: this.id,
      audio: DOWNLINK_AUDIO,
      toy: this.toySettings,
      heartbeat: this.deps.config.heartbeat,
    });
  }

  /**
   * The parent's settings as they are now (re-read by the gateway): a change is
   * sent to the device at once, and a lock ends the turn in progress.
   */
  applySettings(settings: ParentSettings): void {
    if (this.closed || this.toySettings === undefined) return;
    const next = this.toyWith(settings);
    const now = this.toySettings;
    if (next.volume === now.volume && next.maxVolume === now.maxVolume && next.locked === now.locked && next.name === now.name) return;
    this.toySettings = next;
    this.deps.log('info', 'settings changed', { session: this.id, device: this.deviceId, volume: next.volume, maxVolume: next.maxVolume, locked: next.locked });
    // The device hears of the lock first, so it ends the turn as "locked" rather than as a failure.
    this.send({ type: 'settings', toy: next });
    if (next.locked) this.abortTurn('locked by parent');
  }

  /** The gateway's defaults, overridden by whatever the parent chose. */
  private toyWith(settings: ParentSettings): ToySettings {
    const { defaultVolume, defaultMaxVolume } = this.deps.config;
    return { name: this.deps.toy.name, volume: settings.volume ?? defaultVolume, maxVolume: settings.maxVolume ?? defaultMaxVolume, locked: settings.locked ?? false };
  }

  private listenStart(message: ListenMessage): void {
    if (this.toySettings?.locked) {
      this.error(ErrorCode.Locked, 'the toy is locked by a parent', false, message.turn);
      return;
    }
    if (this.active?.turn === message.turn) {
      this.error(ErrorCode.TurnInProgress, `turn ${message.turn} has already started`, false, message.turn);
      return;
    }
    const handsFree = message.mode === 'hands_free';
    if (handsFree && !this.capabilities.has('hands_free')) {
      this.error(ErrorCode.InvalidMessage, "listen: mode 'hands_free' needs the 'hands_free' capability in the hello", false, message.turn);
      return;
    }
    // A new turn supersedes whatever is still running: the child spoke again. A push turn also ends hands-free.
    this.abortTurn('superseded', { keepHandsFree: handsFree });
    const turn: ActiveTurn = {
      turn: message.turn,
      controller: new AbortController(),
      pcm: new BoundedQueue(this.deps.config.maxUtteranceFrames),
      decoder: handsFree ? undefined : createOpusDecoder(UPLINK_AUDIO.sampleRate),
      startedAt: new Date(),
      listening: true,
      accepted: 0,
      started: false,
      extraTimings: {},
    };
    this.active = turn;
    this.counters.turns++;
    if (!handsFree) return this.startPipeline(turn);
    this.handsFree ??= { listener: this.handsFreeListener(), decoder: createOpusDecoder(UPLINK_AUDIO.sampleRate) };
    this.handsFree.listener.listen(turn.turn);
  }

  private startPipeline(turn: ActiveTurn): void {
    if (turn.started) return;
    turn.started = true;
    const done = this.run(turn).catch((error: unknown) => {
      this.deps.log('error', 'turn crashed', { session: this.id, turn: turn.turn, error: (error as Error).message });
    });
    this.running.add(done);
    this.runningTurns.add(turn.turn);
    void done.finally(() => {
      this.running.delete(done);
      this.runningTurns.delete(turn.turn);
    });
  }

  private listenStop(message: ListenMessage): void {
    const turn = this.active;
    if (message.mode === 'hands_free') {
      // Hands-free switched off: a turn the child is speaking ends there; one with nothing said yet just ends.
      const listener = this.handsFree?.listener;
      this.handsFree = undefined;
      void listener?.stop().then(() => {
        if (!turn || this.active !== turn || !turn.listening || turn.started) return;
        // Nothing was said: the turn ends with nothing to say, as the protocol allows.
        this.active = undefined;
        this.send({ type: 'speak', state: 'stop', turn: turn.turn });
      });
      return;
    }
    if (!turn || turn.turn !== message.turn || !turn.listening) return;
    this.stopListening(turn);
  }

  private stopListening(turn: ActiveTurn): void {
    turn.listening = false;
    turn.listenStoppedAt = performance.now();
    turn.pcm.end();
  }

  private handsFreeListener(): HandsFreeListener {
    const config = this.deps.config;
    const listening = (number: number) => (this.active?.turn === number && this.active.listening ? this.active : undefined);
    return new HandsFreeListener(this.deps.vad(), { idleMs: config.handsFreeIdleMs, maxCarriedSamples: config.maxUtteranceFrames * frameSamples(UPLINK_AUDIO), endpointer: { maxUtteranceMs: config.maxUtteranceFrames * UPLINK_AUDIO.frameMs } }, {
      speechStarted: (number) => {
        const turn = listening(number);
        if (!turn) return;
        this.send({ type: 'vad', turn: number, event: 'speech' });
        this.startPipeline(turn);
      },
      speech: (number, pcm) => {
        const turn = listening(number);
        if (turn && !turn.pcm.push(pcm)) this.counters.framesDropped += Math.ceil(pcm.length / frameSamples(UPLINK_AUDIO));
      },
      turnEnded: (number, hangoverMs) => {
        const turn = listening(number);
        if (!turn) return;
        turn.extraTimings['vadHangover'] = hangoverMs;
        this.send({ type: 'vad', turn: number, event: 'end' });
        this.stopListening(turn);
      },
      bargedIn: (number) => {
        this.deps.log('info', 'barge-in by voice', { session: this.id, device: this.deviceId, turn: number });
        // The device hears first, so it cuts its playback and starts the next turn; the gateway sends nothing more for this one.
        this.send({ type: 'vad', turn: number, event: 'barge_in' });
        if (this.active?.turn === number) this.abortTurn('barged in by voice', { keepHandsFree: true });
      },
      idle: (number) => {
        this.send({ type: 'vad', turn: number, event: 'idle' });
        this.handsFree = undefined;
        // Nothing was said: no pipeline ran, and there is nothing to record.
        if (listening(number)) this.active = undefined;
      },
    });
  }

  private endHandsFree(): void {
    this.handsFree?.listener.close();
    this.handsFree = undefined;
  }

  private receiveAudio(data: Buffer): void {
    this.counters.framesReceived++;
    if (!this.deviceId) {
      this.error(ErrorCode.NotReady, 'audio before hello', false);
      this.close(CloseCode.ProtocolError, 'the first message must be hello');
      return;
    }
    const decoded = decodeAudioFrame(data);
    if (!decoded.ok) {
      this.counters.badFrames++;
      this.error(decoded.error.code, decoded.error.message, false);
      return;
    }
    const frame = decoded.frame;
    const handsFree = this.handsFree;
    // Hands-free audio goes on while the turn is answered: the listener hears every frame of its turn.
    if (frame.kind === AudioKind.Microphone && handsFree !== undefined && frame.turn === handsFree.listener.currentTurn) {
      const pcm = this.decode(handsFree.decoder, frame);
      // The endpointer ends a turn at the longest utterance itself, so nothing is counted here.
      if (pcm) handsFree.listener.hear(frame.turn, pcm);
      return;
    }
    const turn = this.active;
    if (frame.kind !== AudioKind.Microphone || !turn?.decoder || !turn.listening || frame.turn !== turn.turn) {
      this.counters.framesDropped++;
      return;
    }
    const pcm = this.decode(turn.decoder, frame);
    if (!pcm) return;
    // A child holding the button forever must not grow memory without bound: past the longest
    // utterance, audio is dropped and counted, and the turn waits for the device's own listen stop.
    if (turn.accepted >= this.deps.config.maxUtteranceFrames || !turn.pcm.push(pcm)) {
      this.counters.framesDropped++;
      return;
    }
    turn.accepted++;
  }

  /** The system prompt with what the toy knows of these words, the conversation so far, and the words. */
  private async promptFor(transcript: string): Promise<readonly ChatMessage[]> {
    const toy = this.deps.toy;
    let facts: Awaited<ReturnType<Store['searchKnowledge']>> = [];
    try {
      facts = await this.deps.store.searchKnowledge(toy.id, transcript, KNOWLEDGE_PER_TURN);
    } catch (error) {
      // The toy answers without its notes rather than not at all.
      this.deps.log('warn', 'cannot search the toy\'s knowledge', { session: this.id, error: (error as Error).message });
    }
    const system = withKnowledge(systemPrompt(toy), facts);
    return this.memory ? this.memory.messagesFor(system, transcript) : [{ role: 'system', content: system }, { role: 'user', content: transcript }];
  }

  /** One uplink packet as PCM; a packet that is not Opus is counted and answered, and gives nothing. */
  private decode(decoder: OpusDecoder, frame: { readonly turn: number; readonly sequence: number; readonly payload: Uint8Array }): Int16Array | undefined {
    try {
      return decoder.decode(frame.payload);
    } catch (error) {
      this.counters.badFrames++;
      this.error(ErrorCode.MalformedFrame, `audio frame ${frame.sequence} of turn ${frame.turn} is not Opus: ${(error as Error).message}`, false);
      return undefined;
    }
  }

  /** Ends the running turn; hands-free ends with it, unless the child's own voice cut it or a hands-free turn follows. */
  private abortTurn(reason: string, options: { keepHandsFree?: boolean } = {}): void {
    if (!options.keepHandsFree) this.endHandsFree();
    const turn = this.active;
    if (!turn) return;
    this.active = undefined;
    turn.controller.abort(new Error(reason));
    turn.pcm.end();
  }

  private async run(turn: ActiveTurn): Promise<void> {
    this.encoder ??= createOpusEncoder({ sampleRate: DOWNLINK_AUDIO.sampleRate, frameMs: DOWNLINK_AUDIO.frameMs, bitrate: this.deps.config.downlinkBitrate, application: 'audio' });
    const number = turn.turn;
    let sequence = 0;
    const result = await runTurn(
      { audio: turn.pcm, listenStoppedAt: () => turn.listenStoppedAt, messages: (transcript) => this.promptFor(transcript), toy: this.deps.toy, conversationStart: this.answered === 0, anonymous: this.memory?.isEmpty ?? true },
      this.deps.providers,
      {
        transcript: (text) => this.send({ type: 'transcript', turn: number, text }),
        reply: (index, text) => this.send({ type: 'reply', turn: number, index, text }),
        speakStart: () => this.send({ type: 'speak', state: 'start', turn: number }),
        audio: (payload) => {
          if (this.closed) return;
          this.socket.send(encodeAudioFrame({ kind: AudioKind.Voice, turn: number, sequence: sequence++, payload }));
          this.counters.framesSent++;
        },
      },
      {
        downlink: DOWNLINK_AUDIO,
        encoder: this.encoder,
        pacing: this.deps.config.pacing,
        sentenceQueue: 4,
        budget: { ...DEFAULT_TURN_BUDGET, totalMs: this.deps.config.turnBudgetMs },
        ...(this.deps.replies ? { replies: this.deps.replies } : {}),
        onRetry: (stage, error, attempt) =>
          this.deps.log('warn', 'retrying a stage', { session: this.id, turn: number, stage, attempt, code: error.code, error: error.message, retryAfterMs: error.retryAfterMs }),
      },
      turn.controller.signal,
    );
    const timings = { ...result.timings, ...turn.extraTimings };
    if (result.outcome !== 'aborted') {
      this.send({ type: 'metrics', turn: number, timings });
      // A failed turn that still spoke its kind fallback ends like any other; a silent one is an error.
      if (result.outcome === 'failed' && !result.spoke) {
        this.error(ErrorCode.TurnFailed, result.error?.message ?? 'turn failed', true, number);
        // The device leaves hands-free on a failed turn; the gateway stops listening with it.
        if (this.handsFree?.listener.currentTurn === number) this.endHandsFree();
      }
      else this.send({ type: 'speak', state: 'stop', turn: number });
    }
    if (result.transcript && result.reply && result.outcome === 'answered') {
      this.answered++;
      void this.memory?.remember(result.transcript, result.reply);
    }
    if (this.active === turn) this.active = undefined;
    this.deps.log(result.outcome === 'failed' ? 'error' : 'info', 'turn ended', {
      session: this.id,
      device: this.deviceId,
      turn: number,
      outcome: result.outcome,
      timings,
      ...(result.error ? { error: result.error } : {}),
    });
    this.recorder.finished({
      id: randomUUID(),
      deviceId: this.deviceId ?? 'unknown',
      sessionId: this.id,
      turn: number,
      startedAt: turn.startedAt.toISOString(),
      transcript: result.transcript,
      reply: result.reply,
      outcome: result.outcome,
      safety: result.safety,
      timings,
      ...(result.error ? { error: result.error } : {}),
    });
  }
}

import { createOpusDecoder, type OpusDecoder } from '../../audio/opus-codec.js';
import type { Log } from '../../log/log.js';
import { ErrorCode, UPLINK_AUDIO, frameSamples, type GatewayMessage, type ListenMessage } from '../../protocol/index.js';
import type { Vad } from '../vad/vad.js';
import type { GatewayConfig } from './gateway-config.js';
import { HandsFreeListener } from './hands-free-listener.js';
import type { SessionCounters } from './session-counters.js';
import { HEARING_STATES, TURN_STATES, transition, type SessionEffect, type SessionEvent, type SessionState } from './session-state-machine.js';
import { openTurn, type ActiveTurn, type TurnEnd } from './turn-runner.js';
import type { PushAudio, UplinkRoutes } from './uplink-router.js';

export interface SessionTurnsDeps {
  readonly config: Pick<GatewayConfig, 'maxUtteranceFrames' | 'handsFreeIdleMs'>;
  /** A voice activity detector for one hands-free microphone stream. */
  readonly vad: () => Vad;
  readonly counters: SessionCounters;
  /** Sends a message to the device. */
  readonly send: (message: GatewayMessage) => void;
  /** Runs a turn's pipeline; `ended` hears how it ended. */
  readonly run: (turn: ActiveTurn, ended: (how: TurnEnd) => void) => void;
  readonly log: Log;
  /** Fields every log line carries (the session, the device). */
  readonly logFields: () => Record<string, unknown>;
  /** An effect threw: the session cannot go on (it closes; the device reconnects). */
  readonly broken: (error: Error) => void;
}

/** What an event carries: the message or the listener's news it came from. */
interface EventData {
  readonly message?: ListenMessage;
  readonly hangoverMs?: number;
  /** Why the device aborted. */
  readonly reason?: string;
}

/** Why a turn was cut, by the event that cut it: the reason is kept with the turn's record. */
const ABORT_REASON: Partial<Readonly<Record<SessionEvent, string>>> = {
  pushStart: 'superseded',
  handsFreeStart: 'superseded',
  lock: 'locked by parent',
  disconnect: 'disconnected',
  bargeIn: 'barged in by voice',
  vadIdle: 'nothing was said',
  handsFreeStopped: 'nothing was said',
};

const END_EVENT: Readonly<Record<Exclude<TurnEnd, 'aborted'>, SessionEvent>> = { done: 'turnDone', failed: 'turnFailed' };

const isPushAudio = (turn: ActiveTurn | undefined): turn is ActiveTurn & PushAudio => turn?.decoder !== undefined;

/**
 * The session's turns as its state table says (session-state-machine.ts):
 * events in, effects carried out on the turn, the hands-free listener and the
 * device. Events raised while a transition's effects run (the listener's news
 * of words it already holds) wait for that transition to finish.
 */
export class SessionTurns {
  private current: SessionState = 'idle';
  private readonly pending: { readonly event: SessionEvent; readonly data: EventData }[] = [];
  private dispatching = false;
  /** The turn the table is about, while it has one. */
  private active: ActiveTurn | undefined;
  /** The newest turn the device started: a listener's news of any other is stale. */
  private lastTurn: number | undefined;
  /** The hands-free microphone, while a listener hears it: one decoder for the whole stream. */
  private handsFree: { readonly listener: HandsFreeListener; readonly decoder: OpusDecoder } | undefined;

  /** Where the uplink router sends microphone audio. */
  readonly routes: UplinkRoutes = {
    handsFree: () => this.handsFree,
    pushTurn: () => (this.current === 'listening' && isPushAudio(this.active) ? this.active : undefined),
  };

  constructor(private readonly deps: SessionTurnsDeps) {}

  get state(): SessionState {
    return this.current;
  }

  /** The turn in progress, if there is one. */
  get turn(): number | undefined {
    return this.active?.turn;
  }

  /** `listen start`: a new turn, which cuts whatever is running (the table refuses it while locked). */
  listenStart(message: ListenMessage): void {
    this.dispatch(message.mode === 'hands_free' ? 'handsFreeStart' : 'pushStart', { message });
  }

  /** `listen stop`: in push mode the child's words are all in; in hands-free mode hands-free is off. */
  listenStop(message: ListenMessage): void {
    if (message.mode === 'hands_free') return this.dispatch('handsFreeOff');
    if (this.active?.turn === message.turn) this.dispatch('listenStop');
  }

  /** The device's `abort` of a turn; one that is not in progress is ignored. */
  abort(turn: number, reason: string): void {
    if (this.active?.turn === turn) this.dispatch('abort', { reason: `device: ${reason}` });
  }

  /** The parent's lock as it is now. */
  locked(locked: boolean): void {
    this.dispatch(locked ? 'lock' : 'unlock');
  }

  /** The connection is gone: the turn in flight is cut (and still recorded), the listener closed. */
  disconnect(): void {
    this.dispatch('disconnect');
  }

  /** Feeds one event through the table and performs its effects; events they raise follow in order. */
  private dispatch(event: SessionEvent, data: EventData = {}): void {
    this.pending.push({ event, data });
    if (this.dispatching) return;
    this.dispatching = true;
    let failure: Error | undefined;
    try {
      for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) {
        const step = transition(this.current, next.event);
        this.current = step.to;
        for (const effect of step.effects) this.perform(effect, next.event, next.data);
        // A state without a turn holds none: the table aborted the turn it left, or the pipeline ended it.
        if (!TURN_STATES.has(this.current)) this.active = undefined;
      }
    } catch (error) {
      // Half an effect list leaves nothing to trust: what was queued is dropped and the session ends.
      this.pending.length = 0;
      failure = error as Error;
    } finally {
      this.dispatching = false;
    }
    if (failure) this.deps.broken(failure);
  }

  private perform(effect: SessionEffect, cause: SessionEvent, data: EventData): void {
    const turn = this.active;
    switch (effect) {
      case 'openPushTurn':
        return this.open(data.message, true);
      case 'openHandsFreeTurn':
        return this.open(data.message, false);
      case 'startHandsFree':
        this.handsFree = { listener: this.listener(), decoder: createOpusDecoder(UPLINK_AUDIO.sampleRate) };
        return;
      case 'endHandsFree':
        this.handsFree?.listener.close();
        this.handsFree = undefined;
        return;
      case 'dropHandsFree':
        this.handsFree = undefined;
        return;
      case 'stopHandsFree':
        return this.stopHandsFree();
      case 'abortTurn':
        if (!turn) return;
        this.active = undefined;
        turn.controller.abort(new Error(data.reason ?? ABORT_REASON[cause] ?? cause));
        turn.pcm.end();
        return;
      case 'startPipeline':
        if (turn) this.startPipeline(turn);
        return;
      case 'stopAudio':
        if (!turn) return;
        turn.listenStoppedAt = performance.now();
        turn.pcm.end();
        return;
      case 'noteHangover':
        if (turn && data.hangoverMs !== undefined) turn.extraTimings['vadHangover'] = data.hangoverMs;
        return;
      case 'sendVadSpeech':
        return this.sendVad('speech');
      case 'sendVadEnd':
        return this.sendVad('end');
      case 'sendVadBargeIn':
        this.deps.log('info', 'barge-in by voice', { ...this.deps.logFields(), turn: this.lastTurn });
        return this.sendVad('barge_in');
      case 'sendVadIdle':
        return this.sendVad('idle');
      case 'sendSpeakStop':
        if (this.lastTurn !== undefined) this.deps.send({ type: 'speak', state: 'stop', turn: this.lastTurn });
        return;
      case 'refuseLocked':
        if (data.message) this.deps.send({ type: 'error', code: ErrorCode.Locked, message: 'the toy is locked by a parent', retryable: false, turn: data.message.turn });
        return;
    }
  }

  private sendVad(event: 'speech' | 'end' | 'barge_in' | 'idle'): void {
    if (this.lastTurn !== undefined) this.deps.send({ type: 'vad', turn: this.lastTurn, event });
  }

  private open(message: ListenMessage | undefined, push: boolean): void {
    if (!message) return;
    const turn = openTurn(message.turn, this.deps.config.maxUtteranceFrames, push ? createOpusDecoder(UPLINK_AUDIO.sampleRate) : undefined);
    this.active = turn;
    this.lastTurn = turn.turn;
    this.deps.counters.turns++;
    if (push) return this.startPipeline(turn);
    // Words carried over from a barge-in are heard at once: their events wait for this transition.
    this.handsFree?.listener.listen(turn.turn);
  }

  private startPipeline(turn: ActiveTurn): void {
    this.deps.run(turn, (how) => {
      if (how !== 'aborted' && this.active === turn) this.dispatch(END_EVENT[how]);
    });
  }

  /** Hands-free switched off: the listener hears out what it has (a turn the child is speaking ends there). */
  private stopHandsFree(): void {
    const listener = this.handsFree?.listener;
    this.handsFree = undefined;
    if (!listener) return;
    const turn = this.active;
    void listener.stop().then(() => {
      if (turn !== undefined && this.active === turn) this.dispatch('handsFreeStopped');
    });
  }

  private listener(): HandsFreeListener {
    const { config, counters } = this.deps;
    const current = (turn: number) => turn === this.lastTurn;
    return new HandsFreeListener(
      this.deps.vad(),
      { idleMs: config.handsFreeIdleMs, maxCarriedSamples: config.maxUtteranceFrames * frameSamples(UPLINK_AUDIO), endpointer: { maxUtteranceMs: config.maxUtteranceFrames * UPLINK_AUDIO.frameMs } },
      {
        speechStarted: (turn) => current(turn) && this.dispatch('speech'),
        speech: (turn, pcm) => {
          const active = this.active;
          if (!current(turn) || active === undefined || !HEARING_STATES.has(this.current)) return;
          if (active.pcm.push(pcm)) active.audioArrived();
          else counters.framesDropped += Math.ceil(pcm.length / frameSamples(UPLINK_AUDIO));
        },
        turnEnded: (turn, hangoverMs) => current(turn) && this.dispatch('vadEnd', { hangoverMs }),
        bargedIn: (turn) => current(turn) && this.dispatch('bargeIn'),
        idle: (turn) => current(turn) && this.dispatch('vadIdle'),
        failed: (error) => this.deps.log('warn', 'voice activity detection failed', { ...this.deps.logFields(), error: error.message }),
      },
    );
  }
}

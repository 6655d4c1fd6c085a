import type { Button, ButtonEvent } from '../hardware/button.js';
import type { Leds } from '../hardware/leds.js';
import type { Microphone } from '../hardware/microphone.js';
import type { Speaker } from '../hardware/speaker.js';
import {
  AudioKind,
  CloseCode,
  DOWNLINK_AUDIO,
  MAX_TURN,
  UPLINK_AUDIO,
  type AudioFrame,
  type GatewayMessage,
  type ListenMode,
  type ToySettings,
  type VadEvent,
  type WelcomeMessage,
} from '../protocol/index.js';
import { AudioCapture } from './audio-capture.js';
import { AudioPlayback } from './audio-playback.js';
import { CloudLink, type CloudLinkOptions } from './cloud-link.js';
import type { DeviceObserver, TurnEnd } from './device-report.js';
import { HANDS_FREE_STATES, transition, type DeviceEvent, type DeviceState, type Effect } from './device-state-machine.js';
import { DoublePress } from './double-press.js';
import { presentState } from './led-presenter.js';
import type { Log } from '../log/log.js';
import { MicUplink, type UplinkTurn } from './mic-uplink.js';
import { VolumeControl } from './volume-control.js';

export interface DeviceHardware {
  readonly button: Button;
  readonly leds: Leds;
  readonly microphone: Microphone;
  readonly speaker: Speaker;
}

export interface DeviceRunnerOptions {
  readonly link: Omit<CloudLinkOptions, 'log'>;
  readonly uplinkBitrate: number;
  readonly replyTimeoutMs: number;
  readonly errorShowMs: number;
  readonly maxQueuedFrames: number;
  /** The maker's volume ceiling, in protocol's VOLUME_RANGE: no parent setting or request plays louder. */
  readonly volumeCeiling: number;
  readonly log: Log;
  readonly observe?: DeviceObserver;
  /**
   * Two presses closer than this toggle hands-free (device/double-press.ts). Absent or 0: no
   * gesture, every press is push-to-talk (the composition root passes the config's value).
   */
  readonly doublePressMs?: number;
  /** Start hands-free at every welcome (not after a parent's unlock). */
  readonly handsFree?: boolean;
}

interface TurnInFlight extends UplinkTurn {
  readonly mode: ListenMode;
  /** The end of the child's part: the button's release, or the `vad end` in hands-free. */
  releasedAt?: number;
  gatewayTimings: Record<string, number>;
  /** Socket byte counts at listen start and at release, for the turn's bandwidth. */
  trafficAtStart: { bytesSent: number; bytesReceived: number };
  trafficAtRelease?: { bytesSent: number; bytesReceived: number };
}

/** How a turn reported by the `reportTurn` effect ended, by the event that ended it. */
const END_BY_EVENT: Partial<Record<DeviceEvent, TurnEnd>> = { playbackDone: 'played', speakStop: 'no_audio', vadBargeIn: 'barged_in', vadIdle: 'nothing_said' };

const VAD_EVENTS: Readonly<Record<VadEvent, DeviceEvent | undefined>> = {
  end: 'vadEnd',
  barge_in: 'vadBargeIn',
  idle: 'vadIdle',
  // The LEDs show hands-free listening already; a cue of its own would need a state of its own.
  speech: undefined,
};

/**
 * Performs what the state machine asks: it owns the link, the microphone
 * capture, playback and timers, turns their happenings into events, and
 * reports every state and turn to the observer.
 */
export class DeviceRunner {
  private current: DeviceState = 'offline';
  private turnCounter = 0;
  private active: TurnInFlight | undefined;
  private readonly link: CloudLink;
  private readonly uplink: MicUplink<TurnInFlight>;
  private readonly presses: DoublePress;
  /** The push turn the last single press started, if it started one: a double press converts it. */
  private pressedTurn: TurnInFlight | undefined;
  private readonly playback: AudioPlayback;
  readonly volume: VolumeControl;
  private replyTimer: NodeJS.Timeout | undefined;
  private errorTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly now = () => performance.now();
  /** Set by stop(): the link going down then is our own doing, not news. */
  private stopping = false;

  constructor(
    private readonly hardware: DeviceHardware,
    private readonly options: DeviceRunnerOptions,
  ) {
    this.link = new CloudLink({ ...options.link, log: options.log }, {
      onUp: (welcome) => this.linkUp(welcome),
      onDown: (reason) => {
        if (this.stopping) return;
        this.report({ type: 'link', up: false, reason });
        this.endTurn('link_lost');
        this.dispatch('linkDown');
      },
      onMessage: (message) => this.received(message),
      onAudio: (frame) => this.receivedAudio(frame),
      onRefused: (code, reason) =>
        this.report({ type: 'error', code: code === CloseCode.Unauthorized ? 'unauthorized' : 'version_mismatch', message: `the gateway refused this device: ${reason}`, retryable: false }),
    });
    const capture = new AudioCapture(hardware.microphone, UPLINK_AUDIO, options.uplinkBitrate);
    this.uplink = new MicUplink<TurnInFlight>(capture, (frame) => this.link.sendAudio(frame), (turn, error) => this.microphoneFailed(turn, error));
    this.presses = new DoublePress(options.doublePressMs ?? 0);
    this.volume = new VolumeControl(options.volumeCeiling);
    this.playback = new AudioPlayback(hardware.speaker, DOWNLINK_AUDIO, { maxQueuedFrames: options.maxQueuedFrames, prebufferFrames: 2, volume: this.volume, log: options.log });
  }

  get state(): DeviceState {
    return this.current;
  }

  get traffic() {
    return this.link.traffic;
  }

  /** Why the gateway could not be reached the last time it was tried, if it could not. */
  get linkProblem(): string | undefined {
    return this.link.lastError;
  }

  start(): void {
    presentState(this.hardware.leds, this.current);
    this.unsubscribe = this.hardware.button.subscribe((event) => this.buttonEvent(event));
    this.link.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    clearTimeout(this.replyTimer);
    clearTimeout(this.errorTimer);
    void this.uplink.stop();
    this.playback.stop();
    await this.link.stop();
  }

  /** Feeds one event through the table and performs its effects in order. */
  dispatch(event: DeviceEvent): void {
    const previous = this.current;
    const next = transition(previous, event);
    if (next.to !== previous) {
      this.current = next.to;
      presentState(this.hardware.leds, next.to);
    }
    for (const effect of next.effects) this.perform(effect, event);
    // Observers hear of the new state after what the transition did: a turn it ended is reported
    // before the state that follows (a script waits for the turn, then for idle).
    if (next.to !== previous) this.report({ type: 'state', state: next.to, previous });
  }

  private perform(effect: Effect, cause: DeviceEvent): void {
    switch (effect) {
      case 'startTurn':
        return this.startTurn('push');
      case 'startHandsFreeTurn':
        return this.startTurn('hands_free');
      case 'stopListening':
        return this.stopListening(true);
      case 'dropListening':
        return this.stopListening(false);
      case 'sendAbort':
        return this.abortTurn(cause === 'replyTimeout' ? 'timeout' : cause === 'lock' ? 'locked' : 'barged_in');
      case 'reportTurn':
        // Only the events that end a turn as it should are paired with reportTurn in the table.
        return this.endTurn(END_BY_EVENT[cause] ?? 'played', true);
      case 'startReplyTimer':
        this.markRelease();
        return this.armReplyTimer();
      case 'cancelReplyTimer':
        clearTimeout(this.replyTimer);
        return;
      case 'finishPlayback':
        return this.finishPlayback();
      case 'stopPlayback':
        this.playback.stop();
        return;
      case 'startErrorTimer':
        clearTimeout(this.errorTimer);
        this.errorTimer = setTimeout(() => this.dispatch('errorShown'), this.options.errorShowMs);
        return;
    }
  }

  private armReplyTimer(): void {
    clearTimeout(this.replyTimer);
    this.replyTimer = setTimeout(() => this.dispatch('replyTimeout'), this.options.replyTimeoutMs);
  }

  private buttonEvent(event: ButtonEvent): void {
    if (event === 'press') {
      // A press acts at once; only a second one soon after, while the turn the first started goes on, toggles hands-free.
      const going = this.active !== undefined && this.active === this.pressedTurn;
      const meaning = this.presses.press(this.now(), HANDS_FREE_STATES.has(this.current), going);
      this.dispatch(meaning);
      this.pressedTurn = meaning === 'buttonDown' ? this.active : undefined;
    } else if (event === 'release') this.dispatch('buttonUp');
  }

  private linkUp(welcome: WelcomeMessage): void {
    this.volume.setParentLimits(welcome.toy.volume, welcome.toy.maxVolume);
    this.report({ type: 'link', up: true, sessionId: welcome.sessionId });
    // A toy configured hands-free is hands-free after every welcome, a reconnection too: it comes back
    // as it boots. One that is not never resumes it by itself: the child may have walked away.
    this.dispatch(welcome.toy.locked ? 'linkUpLocked' : this.options.handsFree ? 'linkUpHandsFree' : 'linkUp');
  }

  /** The parent's settings, from the welcome or changed during the session. */
  private applySettings(toy: ToySettings): void {
    this.volume.setParentLimits(toy.volume, toy.maxVolume);
    this.dispatch(toy.locked ? 'lock' : 'unlock');
  }

  private startTurn(mode: ListenMode): void {
    this.turnCounter = (this.turnCounter % MAX_TURN) + 1;
    const turn: TurnInFlight = { turn: this.turnCounter, mode, sequence: 0, framesSent: 0, gatewayTimings: {}, trafficAtStart: this.link.traffic };
    this.active = turn;
    this.playback.begin(turn.turn);
    this.link.send({ type: 'listen', state: 'start', turn: turn.turn, mode });
    // The next hands-free turn takes over the capture that never stopped: no gap in the child's voice.
    if (mode === 'hands_free' && this.uplink.streamingFor?.mode === 'hands_free' && this.uplink.handOver(turn)) return;
    this.uplink.start(turn);
  }

  private microphoneFailed(turn: TurnInFlight, error: Error): void {
    const code = (error as { code?: string }).code ?? 'mic_failed';
    this.options.log('error', 'microphone failed', { code, error: error.message });
    this.report({ type: 'error', turn: turn.turn, code, message: error.message, retryable: true });
    if (this.active === turn && (this.current === 'listening' || HANDS_FREE_STATES.has(this.current))) {
      this.abortTurn('failed');
      this.dispatch('turnFailed');
    }
  }

  private stopListening(tellGateway: boolean): void {
    const turn = this.active;
    // With the turn already reported, whatever still captures stops all the same.
    if (!turn) return void this.uplink.stop();
    this.markRelease();
    const sent = this.uplink.stop(turn);
    void sent.then(() => (turn.trafficAtRelease ??= this.link.traffic));
    if (!tellGateway) return;
    // listen stop goes out only after the last (padded) frame, so no word is lost.
    void sent.then(() => {
      if (this.active === turn) this.link.send({ type: 'listen', state: 'stop', turn: turn.turn, mode: turn.mode });
    });
  }

  /**
   * The child's part of the turn is over: the button's release, or in hands-free the `vad end`
   * (there is no release), so voice-to-voice runs from the moment the device learns of it.
   */
  private markRelease(): void {
    const turn = this.active;
    if (!turn || turn.releasedAt !== undefined) return;
    turn.releasedAt = this.now();
    // In hands-free the microphone streams on: the socket's count now is where the reply's part begins.
    if (turn.mode === 'hands_free') turn.trafficAtRelease = this.link.traffic;
  }

  private abortTurn(end: TurnEnd): void {
    const turn = this.active;
    if (!turn) return;
    void this.uplink.stop(turn);
    this.link.send({ type: 'abort', turn: turn.turn, reason: end });
    this.endTurn(end);
  }

  private finishPlayback(): void {
    const turn = this.active;
    void this.playback.finish().then(() => {
      if (turn && this.active === turn) this.dispatch('playbackDone');
    });
  }

  private received(message: GatewayMessage): void {
    const turn = this.active;
    const ours = turn !== undefined && 'turn' in message && message.turn === turn.turn;
    switch (message.type) {
      case 'settings':
        return this.applySettings(message.toy);
      case 'transcript':
        if (ours) this.report({ type: 'transcript', turn: message.turn, text: message.text });
        return;
      case 'reply':
        if (ours) this.report({ type: 'reply', turn: message.turn, index: message.index, text: message.text });
        return;
      case 'speak':
        if (ours) this.dispatch(message.state === 'start' ? 'speakStart' : 'speakStop');
        return;
      case 'vad': {
        const event = VAD_EVENTS[message.event];
        if (ours && event) this.dispatch(event);
        return;
      }
      case 'metrics':
        if (ours) turn.gatewayTimings = { ...message.timings };
        return;
      case 'error':
        this.report({ type: 'error', code: message.code, message: message.message, retryable: message.retryable, ...(message.turn === undefined ? {} : { turn: message.turn }) });
        // turn_in_progress is a complaint about a repeated listen start; the turn itself goes on.
        if (ours && message.code !== 'turn_in_progress') {
          this.endTurn('failed');
          this.dispatch('turnFailed');
        }
        return;
      case 'abort':
        if (ours) {
          this.endTurn('failed');
          this.dispatch('turnFailed');
        }
        return;
      default:
        return;
    }
  }

  private receivedAudio(frame: AudioFrame): void {
    if (frame.kind !== AudioKind.Voice) return;
    // The reply is still flowing: re-arm the stall timer (it runs until speak stop).
    if ((this.current === 'speaking' || this.current === 'handsFreeSpeaking') && frame.turn === this.active?.turn) this.replyTimer?.refresh();
    this.playback.push(frame);
  }

  /**
   * Reports the turn once, with what the device measured and what the gateway said. Its capture
   * stops unless `keepMicrophone` (the state machine then says what becomes of it).
   */
  private endTurn(end: TurnEnd, keepMicrophone = false): void {
    const turn = this.active;
    if (!turn) return;
    this.active = undefined;
    if (!keepMicrophone) void this.uplink.stop(turn);
    // Whatever of this turn is still on the wire must never be heard.
    if (end !== 'played') this.playback.stop();
    const firstAudible = this.playback.firstAudibleAt;
    const traffic = this.link.traffic;
    const released = turn.trafficAtRelease ?? traffic;
    // A hands-free turn streams the microphone to its very end, so its uplink runs to the end too.
    const uplinkUntil = turn.mode === 'hands_free' ? traffic : released;
    const framesPlayed = this.playback.counters.played;
    const voiceToVoiceMs = firstAudible !== undefined && turn.releasedAt !== undefined ? Math.round(firstAudible - turn.releasedAt) : undefined;
    // The gateway keeps what the device measured beside its own timings.
    this.link.send({
      type: 'report',
      turn: turn.turn,
      timings: { ...(voiceToVoiceMs === undefined ? {} : { voiceToVoiceMs }), playedMs: framesPlayed * DOWNLINK_AUDIO.frameMs },
    });
    this.report({
      type: 'turn',
      turn: turn.turn,
      end,
      ...(voiceToVoiceMs === undefined ? {} : { voiceToVoiceMs }),
      gateway: turn.gatewayTimings,
      framesSent: turn.framesSent,
      framesPlayed,
      // Bytes through the socket (WebSocket framing included) while the child spoke and while the toy answered.
      uplink: { bytes: uplinkUntil.bytesSent - turn.trafficAtStart.bytesSent, audioMs: turn.framesSent * UPLINK_AUDIO.frameMs },
      downlink: { bytes: traffic.bytesReceived - released.bytesReceived, audioMs: framesPlayed * DOWNLINK_AUDIO.frameMs },
    });
  }

  private report(report: Parameters<DeviceObserver>[0]): void {
    this.options.observe?.(report);
  }
}

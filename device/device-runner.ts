import type { Button, ButtonEvent } from '../hardware/button.js';
import type { Leds } from '../hardware/leds.js';
import type { Microphone } from '../hardware/microphone.js';
import type { Speaker } from '../hardware/speaker.js';
import { AudioKind, CloseCode, DOWNLINK_AUDIO, MAX_TURN, UPLINK_AUDIO, type AudioFrame, type GatewayMessage, type ToySettings, type WelcomeMessage } from '../protocol/index.js';
import { AudioCapture } from './audio-capture.js';
import { AudioPlayback } from './audio-playback.js';
import { CloudLink, type CloudLinkOptions } from './cloud-link.js';
import type { DeviceObserver, TurnEnd } from './device-report.js';
import { transition, type DeviceEvent, type DeviceState, type Effect } from './device-state-machine.js';
import { presentState } from './led-presenter.js';
import type { Log } from './log.js';
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
  /** The maker's ceiling, 0..100: no parent setting or request plays louder. */
  readonly maxVolume: number;
  readonly log: Log;
  readonly observe?: DeviceObserver;
}

interface TurnInFlight {
  readonly turn: number;
  readonly capture: AbortController;
  sending: Promise<void>;
  framesSent: number;
  releasedAt?: number;
  gatewayTimings: Record<string, number>;
  /** Socket byte counts at listen start and at release, for the turn's bandwidth. */
  trafficAtStart: { bytesSent: number; bytesReceived: number };
  trafficAtRelease?: { bytesSent: number; bytesReceived: number };
  replied: boolean;
}

/**
 * Performs what the state machine asks: it owns the link, the microphone
 * capture, playback and timers, turns their happenings into events, and
 * reports every state and turn to the observer.
 */
export class DeviceRunner {
  private current: DeviceState = 'offline';
  private turnCounter = 0;
  private active: TurnInFlight | undefined;
  /** The microphone serves one capture at a time: a new turn waits for the last one to let go. */
  private captureIdle: Promise<void> = Promise.resolve();
  private readonly link: CloudLink;
  private readonly capture: AudioCapture;
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
        this.dispatch('linkDown');
        this.endTurn('link_lost');
      },
      onMessage: (message) => this.received(message),
      onAudio: (frame) => this.receivedAudio(frame),
      onRefused: (code, reason) =>
        this.report({ type: 'error', code: code === CloseCode.Unauthorized ? 'unauthorized' : 'version_mismatch', message: `the gateway refused this device: ${reason}`, retryable: false }),
    });
    this.capture = new AudioCapture(hardware.microphone, UPLINK_AUDIO, options.uplinkBitrate);
    this.volume = new VolumeControl(options.maxVolume);
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
    this.active?.capture.abort();
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
      this.report({ type: 'state', state: next.to, previous });
    }
    for (const effect of next.effects) this.perform(effect, event);
  }

  private perform(effect: Effect, cause: DeviceEvent): void {
    switch (effect) {
      case 'startTurn':
        return this.startTurn();
      case 'stopListening':
        return this.stopListening(true);
      case 'dropListening':
        return this.stopListening(false);
      case 'sendAbort':
        return this.abortTurn(cause === 'replyTimeout' ? 'timeout' : cause === 'lock' ? 'locked' : 'barged_in');
      case 'startReplyTimer':
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
    if (event === 'press') this.dispatch('buttonDown');
    else if (event === 'release') this.dispatch('buttonUp');
  }

  private linkUp(welcome: WelcomeMessage): void {
    this.volume.setParentLimits(welcome.toy.volume, welcome.toy.maxVolume);
    this.report({ type: 'link', up: true, sessionId: welcome.sessionId });
    this.dispatch(welcome.toy.locked ? 'linkUpLocked' : 'linkUp');
  }

  /** The parent's settings, from the welcome or changed during the session. */
  private applySettings(toy: ToySettings): void {
    this.volume.setParentLimits(toy.volume, toy.maxVolume);
    this.dispatch(toy.locked ? 'lock' : 'unlock');
  }

  private startTurn(): void {
    this.turnCounter = (this.turnCounter % MAX_TURN) + 1;
    const turn: TurnInFlight = {
      turn: this.turnCounter,
      capture: new AbortController(),
      sending: Promise.resolve(),
      framesSent: 0,
      gatewayTimings: {},
      replied: false,
      trafficAtStart: this.link.traffic,
    };
    this.active = turn;
    this.playback.begin(turn.turn);
    this.link.send({ type: 'listen', state: 'start', turn: turn.turn, mode: 'push' });
    turn.sending = this.captureIdle = this.captureIdle.then(() => this.stream(turn));
  }

  private async stream(turn: TurnInFlight): Promise<void> {
    let sequence = 0;
    try {
      for await (const payload of this.capture.packets(turn.capture.signal)) {
        if (this.link.sendAudio({ kind: AudioKind.Microphone, turn: turn.turn, sequence, payload })) turn.framesSent++;
        sequence++;
      }
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'mic_failed';
      this.options.log('error', 'microphone failed', { code, error: (error as Error).message });
      this.report({ type: 'error', turn: turn.turn, code, message: (error as Error).message, retryable: true });
      if (this.active === turn && this.current === 'listening') {
        this.abortTurn('failed');
        this.dispatch('turnFailed');
      }
    }
  }

  private stopListening(tellGateway: boolean): void {
    const turn = this.active;
    if (!turn) return;
    turn.releasedAt = this.now();
    turn.capture.abort();
    void turn.sending.then(() => (turn.trafficAtRelease = this.link.traffic));
    if (!tellGateway) return;
    // listen stop goes out only after the last (padded) frame, so no word is lost.
    void turn.sending.then(() => {
      if (this.active === turn) this.link.send({ type: 'listen', state: 'stop', turn: turn.turn, mode: 'push' });
    });
  }

  private abortTurn(end: TurnEnd): void {
    const turn = this.active;
    if (!turn) return;
    turn.capture.abort();
    this.link.send({ type: 'abort', turn: turn.turn, reason: end });
    this.endTurn(end);
  }

  private finishPlayback(): void {
    const turn = this.active;
    void this.playback.finish().then(() => {
      if (turn && this.active === turn && this.current === 'speaking') {
        this.endTurn('played');
        this.dispatch('playbackDone');
      }
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
        if (ours) {
          turn.replied = true;
          this.report({ type: 'reply', turn: message.turn, index: message.index, text: message.text });
        }
        return;
      case 'speak':
        if (!ours) return;
        if (message.state === 'start') return this.dispatch('speakStart');
        if (this.current === 'thinking') this.endTurn('no_audio');
        return this.dispatch('speakStop');
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
    if (this.current === 'speaking' && frame.turn === this.active?.turn) this.replyTimer?.refresh();
    this.playback.push(frame);
  }

  /** Reports the turn once, with what the device measured and what the gateway said. */
  private endTurn(end: TurnEnd): void {
    const turn = this.active;
    if (!turn) return;
    this.active = undefined;
    turn.capture.abort();
    // Whatever of this turn is still on the wire must never be heard.
    if (end !== 'played') this.playback.stop();
    const firstAudible = this.playback.firstAudibleAt;
    const traffic = this.link.traffic;
    const released = turn.trafficAtRelease ?? traffic;
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
      uplink: { bytes: released.bytesSent - turn.trafficAtStart.bytesSent, audioMs: turn.framesSent * UPLINK_AUDIO.frameMs },
      downlink: { bytes: traffic.bytesReceived - released.bytesReceived, audioMs: framesPlayed * DOWNLINK_AUDIO.frameMs },
    });
  }

  private report(report: Parameters<DeviceObserver>[0]): void {
    this.options.observe?.(report);
  }
}

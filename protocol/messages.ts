import type { AudioParams } from './audio-params.js';

/**
 * Turn numbers are chosen by the device, 1..65535, and wrap back to 1. Binary
 * audio frames carry the same number, so audio of an old turn can be told apart.
 */
export const MAX_TURN = 0xffff;

/** The longest text any message may carry (a transcript or a reply sentence). */
export const MAX_TEXT_LENGTH = 2000;

// ---- device to gateway --------------------------------------------------------

export interface HelloMessage {
  readonly type: 'hello';
  readonly version: number;
  readonly deviceId: string;
  /** The device's own secret, SECRET_LENGTH characters. Never logged. */
  readonly secret: string;
  readonly firmware: string;
  /** How the device will send its microphone audio. */
  readonly audio: AudioParams;
  /** Optional features the device supports (e.g. 'barge_in', 'hands_free'). */
  readonly capabilities: readonly string[];
}

export interface ListenMessage {
  readonly type: 'listen';
  readonly state: 'start' | 'stop';
  readonly turn: number;
  /**
   * 'push': the child holds the button and 'stop' ends the turn.
   * 'hands_free': the microphone streams on and the gateway hears where the child's turn ends
   * (it answers with `vad`); 'stop' then means the child switched hands-free off.
   */
  readonly mode: ListenMode;
}

export type ListenMode = 'push' | 'hands_free';

/**
 * What the device measured of a finished turn, sent once the last sample has
 * played (or the turn ended otherwise), so the gateway stores it with the turn.
 */
export interface ReportMessage {
  readonly type: 'report';
  readonly turn: number;
  /** Milliseconds: voiceToVoiceMs (button release to first audible sample), playbackMs, ... */
  readonly timings: Readonly<Record<string, number>>;
}

// ---- gateway to device --------------------------------------------------------

export interface ToySettings {
  readonly name: string;
  /** Playback volume the parent chose, in VOLUME_RANGE. */
  readonly volume: number;
  /** The loudest the parent allows, in VOLUME_RANGE: the device never plays louder, whatever else asks. */
  readonly maxVolume: number;
  /** The parent has locked the toy (bedtime, a break): it shows so and takes no turns. */
  readonly locked: boolean;
}

export interface WelcomeMessage {
  readonly type: 'welcome';
  readonly version: number;
  readonly sessionId: string;
  /** How the gateway will send the toy's voice. */
  readonly audio: AudioParams;
  readonly toy: ToySettings;
  /** The device pings every `intervalMs` and gives up on the link after `timeoutMs` without a pong. */
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number };
}

/** The parent changed the toy's settings during the session; they apply at once. */
export interface SettingsMessage {
  readonly type: 'settings';
  readonly toy: ToySettings;
}

export interface TranscriptMessage {
  readonly type: 'transcript';
  readonly turn: number;
  /** '' when nothing was understood. */
  readonly text: string;
}

export interface ReplyMessage {
  readonly type: 'reply';
  readonly turn: number;
  /** 0, 1, 2... one per sentence, in speaking order. */
  readonly index: number;
  readonly text: string;
}

export interface SpeakMessage {
  readonly type: 'speak';
  /** 'start' comes before the turn's first audio frame, 'stop' after its last. */
  readonly state: 'start' | 'stop';
  readonly turn: number;
}

/** Milliseconds per stage of a finished turn, measured on the gateway from listen stop. */
export interface MetricsMessage {
  readonly type: 'metrics';
  readonly turn: number;
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * What the gateway heard in a hands-free turn: 'speech' (the child began to speak), 'end' (the
 * child's turn is over: the reply follows), 'idle' (nothing was said for a while: hands-free is
 * over), 'barge_in' (the child spoke over the toy's reply: that turn is cut, the next one begins).
 */
export interface VadMessage {
  readonly type: 'vad';
  readonly turn: number;
  readonly event: VadEvent;
}

export type VadEvent = 'speech' | 'end' | 'idle' | 'barge_in';

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  /** The turn this error ended, if any. */
  readonly turn?: number;
}

// ---- both directions ------------------------------------------------------------

/** Stops a turn: the device sends it on barge-in, the gateway when it cuts a turn short. */
export interface AbortMessage {
  readonly type: 'abort';
  readonly turn: number;
  readonly reason: string;
}

export interface PingMessage {
  readonly type: 'ping';
  readonly id: number;
}

export interface PongMessage {
  readonly type: 'pong';
  readonly id: number;
}

export type DeviceMessage = HelloMessage | ListenMessage | ReportMessage | AbortMessage | PingMessage | PongMessage;
export type GatewayMessage =
  | WelcomeMessage
  | SettingsMessage
  | TranscriptMessage
  | ReplyMessage
  | SpeakMessage
  | MetricsMessage
  | VadMessage
  | ErrorMessage
  | AbortMessage
  | PingMessage
  | PongMessage;

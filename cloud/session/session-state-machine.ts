/**
 * The gateway's side of a device's turns: a pure transition table, in the
 * manner of device/device-state-machine.ts. It never touches the socket, the
 * pipeline or the listener; it names effects that the session performs, so
 * every (state, event) pair can be tested on its own.
 *
 * It starts once the device is welcomed (the handshake comes before it) and
 * knows one turn at a time: the newest. A turn cut short unwinds on its own
 * and is still recorded, but the table has already moved on.
 */
export const STATES = [
  /** No turn: waiting for the device's `listen start`. */
  'idle',
  /** Push-to-talk: the child holds the button; the pipeline runs on the words as they come. */
  'listening',
  /** The child's words are all in (`listen stop`, or the pause in hands-free off); the reply is on its way. */
  'answering',
  /** Hands-free: the turn listens, nobody has spoken yet, and no pipeline runs (a quiet room costs nothing). */
  'handsFreeWaiting',
  /** Hands-free: the child speaks; the pipeline runs on the words as they come. */
  'handsFreeListening',
  /** Hands-free: the pause ended the child's turn; the reply is on its way, and speech over it is a barge-in. */
  'handsFreeAnswering',
  /** Hands-free: the reply has been sent, the device is still playing it; the next `listen start` comes from the device. */
  'handsFreeIdle',
  /** Hands-free was switched off before the child said anything: the listener hears the last of the stream. */
  'handsFreeOffWaiting',
  /** Hands-free was switched off while the child spoke: the turn ends where the listener finds the words end. */
  'handsFreeOffListening',
  /** A parent locked the toy: no turns until unlocked. */
  'locked',
  /** The connection is gone. Nothing more happens. */
  'closed',
] as const;
export type SessionState = (typeof STATES)[number];

/** The states that have a turn: its data is held and its signal may still be aborted. */
export const TURN_STATES: ReadonlySet<SessionState> = new Set(['listening', 'answering', 'handsFreeWaiting', 'handsFreeListening', 'handsFreeAnswering', 'handsFreeOffWaiting', 'handsFreeOffListening']);

/** The states in which microphone audio goes into the current turn. */
export const HEARING_STATES: ReadonlySet<SessionState> = new Set(['listening', 'handsFreeWaiting', 'handsFreeListening', 'handsFreeOffWaiting', 'handsFreeOffListening']);

/** The states in which a hands-free listener hears the microphone stream. */
export const HANDS_FREE_STATES: ReadonlySet<SessionState> = new Set(['handsFreeWaiting', 'handsFreeListening', 'handsFreeAnswering', 'handsFreeIdle']);

export const EVENTS = [
  /** `listen start` in push mode, for a new turn. */
  'pushStart',
  /** `listen start` in hands-free mode, for a new turn. */
  'handsFreeStart',
  /** `listen stop` in push mode, for the current turn. */
  'listenStop',
  /** `listen stop` in hands-free mode: the child switched hands-free off. */
  'handsFreeOff',
  /** The switched-off listener has heard the last of the stream. */
  'handsFreeStopped',
  /** The listener heard the child begin to speak. */
  'speech',
  /** The listener heard the child's turn end (the pause). */
  'vadEnd',
  /** The listener heard the child speak over the reply. */
  'bargeIn',
  /** The listener heard nothing for the idle time. */
  'vadIdle',
  /** The pipeline finished the turn: answered, redirected, or failed with its kind fallback spoken. */
  'turnDone',
  /** The pipeline failed the turn and nothing was heard: the device gets an error. */
  'turnFailed',
  /** The device's `abort` for the current turn. */
  'abort',
  /** A parent locked the toy. */
  'lock',
  /** A parent unlocked it. */
  'unlock',
  /** The connection closed, for whatever reason. */
  'disconnect',
] as const;
export type SessionEvent = (typeof EVENTS)[number];

export type SessionEffect =
  /** A new push turn from the event's message: its own decoder, its audio queue, and the pipeline started at once. */
  | 'openPushTurn'
  /** A new hands-free turn from the event's message; the listener listens for it (words carried from a barge-in first). */
  | 'openHandsFreeTurn'
  /** A hands-free listener (voice activity detection and its decoder) for the stream that begins. */
  | 'startHandsFree'
  /** Close the listener at once: what it was hearing is dropped. */
  | 'endHandsFree'
  /** Forget the listener, which has already closed itself (the idle time). */
  | 'dropHandsFree'
  /** Detach the listener and let it hear out what it has; `handsFreeStopped` follows. */
  | 'stopHandsFree'
  /** Cut the current turn: its signal aborts every stage, its audio ends. It still unwinds and is recorded. */
  | 'abortTurn'
  /** Run the pipeline of a hands-free turn, now that the child speaks. */
  | 'startPipeline'
  /** The child's words are all in: the turn's audio ends and the clock of its timings starts. */
  | 'stopAudio'
  /** Keep the pause waited for after the child's last word with the turn's timings. */
  | 'noteHangover'
  | 'sendVadSpeech'
  | 'sendVadEnd'
  | 'sendVadBargeIn'
  | 'sendVadIdle'
  /** A turn that heard nothing ends with nothing to say, as the protocol allows. */
  | 'sendSpeakStop'
  /** Answer a `listen start` with the `locked` error. */
  | 'refuseLocked';

export interface Transition {
  readonly to: SessionState;
  readonly effects: readonly SessionEffect[];
}

type Table = { readonly [S in SessionState]: Partial<Readonly<Record<SessionEvent, Transition>>> };

const go = (to: SessionState, ...effects: SessionEffect[]): Transition => Object.freeze({ to, effects: Object.freeze(effects) });

/**
 * Pairs not listed are ignored: the state stays and nothing happens. A new
 * `listen start` always wins: the child spoke again, so the turn in progress is
 * cut (a push turn also ends hands-free; a hands-free turn keeps its listener).
 * A push-mode `listen stop` in a hands-free turn is ignored: there the gateway
 * finds the end of the child's words itself.
 */
const TABLE: Table = {
  idle: {
    pushStart: go('listening', 'openPushTurn'),
    handsFreeStart: go('handsFreeWaiting', 'startHandsFree', 'openHandsFreeTurn'),
    lock: go('locked'),
    disconnect: go('closed'),
  },
  listening: {
    pushStart: go('listening', 'abortTurn', 'openPushTurn'),
    handsFreeStart: go('handsFreeWaiting', 'abortTurn', 'startHandsFree', 'openHandsFreeTurn'),
    listenStop: go('answering', 'stopAudio'),
    // The recogniser failed while the child still spoke: the turn is over; later audio is dropped.
    turnDone: go('idle'),
    turnFailed: go('idle'),
    abort: go('idle', 'abortTurn'),
    lock: go('locked', 'abortTurn'),
    disconnect: go('closed', 'abortTurn'),
  },
  answering: {
    pushStart: go('listening', 'abortTurn', 'openPushTurn'),
    handsFreeStart: go('handsFreeWaiting', 'abortTurn', 'startHandsFree', 'openHandsFreeTurn'),
    // Only from a listener switched off over a reply, hearing out its last frames.
    bargeIn: go('idle', 'sendVadBargeIn', 'abortTurn'),
    turnDone: go('idle'),
    turnFailed: go('idle'),
    abort: go('idle', 'abortTurn'),
    lock: go('locked', 'abortTurn'),
    disconnect: go('closed', 'abortTurn'),
  },
  handsFreeWaiting: {
    pushStart: go('listening', 'endHandsFree', 'abortTurn', 'openPushTurn'),
    handsFreeStart: go('handsFreeWaiting', 'abortTurn', 'openHandsFreeTurn'),
    handsFreeOff: go('handsFreeOffWaiting', 'stopHandsFree'),
    speech: go('handsFreeListening', 'sendVadSpeech', 'startPipeline'),
    // Nobody spoke: the room is not streamed any longer, and there is nothing to record.
    vadIdle: go('idle', 'sendVadIdle', 'dropHandsFree', 'abortTurn'),
    abort: go('idle', 'endHandsFree', 'abortTurn'),
    lock: go('locked', 'endHandsFree', 'abortTurn'),
    disconnect: go('closed', 'endHandsFree', 'abortTurn'),
  },
  handsFreeListening: {
    pushStart: go('listening', 'endHandsFree', 'abortTurn', 'openPushTurn'),
    handsFreeStart: go('handsFreeWaiting', 'abortTurn', 'openHandsFreeTurn'),
    handsFreeOff: go('handsFreeOffListening', 'stopHandsFree'),
    vadEnd: go('handsFreeAnswering', 'noteHangover', 'sendVadEnd', 'stopAudio'),
    turnDone: go('handsFreeIdle'),
    // The device leaves hands-free on a failed turn; the gateway stops listening with it.
    turnFailed: go('idle', 'endHandsFree'),
    abort: go('idle', 'endHandsFree', 'abortTurn'),
    lock: go('locked', 'endHandsFree', 'abortTurn'),
    disconnect: go('closed', 'endHandsFree', 'abortTurn'),
  },
  handsFreeAnswering: {
    pushStart: go('listening', 'endHandsFree', 'abortTurn', 'openPushTurn'),
    handsFreeStart: go('handsFreeWaiting', 'abortTurn', 'openHandsFreeTurn'),
    // The reply on its way is still heard; only the listening is over.
    handsFreeOff: go('answering', 'stopHandsFree'),
    // The device hears first, so it cuts its playback and starts the next turn; the words heard begin it.
    bargeIn: go('handsFreeIdle', 'sendVadBargeIn', 'abortTurn'),
    turnDone: go('handsFreeIdle'),
    turnFailed: go('idle', 'endHandsFree'),
    abort: go('idle', 'endHandsFree', 'abortTurn'),
    lock: go('locked', 'endHandsFree', 'abortTurn'),
    disconnect: go('closed', 'endHandsFree', 'abortTurn'),
  },
  handsFreeIdle: {
    pushStart: go('listening', 'endHandsFree', 'openPushTurn'),
    handsFreeStart: go('handsFreeWaiting', 'openHandsFreeTurn'),
    handsFreeOff: go('idle', 'stopHandsFree'),
    // The child spoke over the end of the reply, still playing on the device.
    bargeIn: go('handsFreeIdle', 'sendVadBargeIn'),
    lock: go('locked', 'endHandsFree'),
    disconnect: go('closed', 'endHandsFree'),
  },
  handsFreeOffWaiting: {
    pushStart: go('listening', 'abortTurn', 'openPushTurn'),
    handsFreeStart: go('handsFreeWaiting', 'abortTurn', 'startHandsFree', 'openHandsFreeTurn'),
    // The last of the stream held the child's first words.
    speech: go('handsFreeOffListening', 'sendVadSpeech', 'startPipeline'),
    // Nothing was said: the turn ends with nothing to say.
    handsFreeStopped: go('idle', 'abortTurn', 'sendSpeakStop'),
    abort: go('idle', 'abortTurn'),
    lock: go('locked', 'abortTurn'),
    disconnect: go('closed', 'abortTurn'),
  },
  handsFreeOffListening: {
    pushStart: go('listening', 'abortTurn', 'openPushTurn'),
    handsFreeStart: go('handsFreeWaiting', 'abortTurn', 'startHandsFree', 'openHandsFreeTurn'),
    vadEnd: go('answering', 'noteHangover', 'sendVadEnd', 'stopAudio'),
    // The listener is done and found no end: no more audio can come, so the words so far are the turn's.
    handsFreeStopped: go('answering', 'stopAudio'),
    turnDone: go('idle'),
    turnFailed: go('idle'),
    abort: go('idle', 'abortTurn'),
    lock: go('locked', 'abortTurn'),
    disconnect: go('closed', 'abortTurn'),
  },
  // Only the parent (or a lost connection) ends it; every listen start is refused.
  locked: {
    pushStart: go('locked', 'refuseLocked'),
    handsFreeStart: go('locked', 'refuseLocked'),
    unlock: go('idle'),
    disconnect: go('closed'),
  },
  closed: {},
};

const STAY = new Map<SessionState, Transition>(STATES.map((state) => [state, go(state)]));

/** The transition for `event` in `state`; an unlisted pair stays where it is and does nothing. */
export function transition(state: SessionState, event: SessionEvent): Transition {
  return TABLE[state][event] ?? STAY.get(state)!;
}

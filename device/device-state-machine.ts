/**
 * The device's conversation state machine: a pure transition table. It never
 * touches hardware or the network; it names effects that the runner performs,
 * so every (state, event) pair can be tested on its own.
 */
export const STATES = [
  'offline',
  'idle',
  'listening',
  'thinking',
  'speaking',
  'error',
  'locked',
  /** Hands-free: the microphone streams without the button and the gateway hears where the child's turn ends. */
  'handsFree',
  /** Hands-free, the child's turn is over (`vad end`): waiting for the reply, the microphone still streaming. */
  'handsFreeThinking',
  /** Hands-free, the reply plays while the microphone streams on, so the child can interrupt by voice. */
  'handsFreeSpeaking',
] as const;
export type DeviceState = (typeof STATES)[number];

/** The states of a turn in progress; every other state is between turns. */
export const TURN_STATES: ReadonlySet<DeviceState> = new Set(['listening', 'thinking', 'speaking', 'handsFree', 'handsFreeThinking', 'handsFreeSpeaking']);

/** The states in which hands-free is on: a double press starting in one of them switches it off. */
export const HANDS_FREE_STATES: ReadonlySet<DeviceState> = new Set(['handsFree', 'handsFreeThinking', 'handsFreeSpeaking']);

export const EVENTS = [
  /** The gateway welcomed us. */
  'linkUp',
  /** The gateway welcomed us, and a parent has locked the toy: it shows locked at once, never idle first. */
  'linkUpLocked',
  /** The gateway welcomed us, and the device is configured to start in hands-free. */
  'linkUpHandsFree',
  /** The WebSocket closed or stopped answering pings. */
  'linkDown',
  /** A single press (or the first press of a double press: push-to-talk never waits to find out). */
  'buttonDown',
  'buttonUp',
  /** The second press of a double press that began outside hands-free (device/double-press.ts). */
  'handsFreeOn',
  /** The second press of a double press that began in hands-free. */
  'handsFreeOff',
  /** The gateway's `speak start` for the current turn. */
  'speakStart',
  /** The gateway's `speak stop` for the current turn: no more audio will come. */
  'speakStop',
  /** The speaker has played the last sample of the turn. */
  'playbackDone',
  /** The gateway's `vad end`: the child's hands-free turn is over, the reply follows. */
  'vadEnd',
  /** The gateway's `vad barge_in`: the child spoke over the reply; the gateway has already cut the turn. */
  'vadBargeIn',
  /** The gateway's `vad idle`: nothing was said for a while; hands-free is over. */
  'vadIdle',
  /** The gateway ended the current turn with an error, or aborted it. */
  'turnFailed',
  /** Nothing came back from the gateway in time (before the reply, or between its frames). */
  'replyTimeout',
  /** The error state has been shown long enough. */
  'errorShown',
  /** The parent locked the toy (welcome or settings say `locked`). */
  'lock',
  /** The parent unlocked it. */
  'unlock',
] as const;
export type DeviceEvent = (typeof EVENTS)[number];

export type Effect =
  /** Choose a new turn number, tell the gateway `listen start` (push), start the microphone. */
  | 'startTurn'
  /**
   * Choose a new turn number, tell the gateway `listen start` (hands_free); the microphone streams
   * for it, going straight on from the last hands-free turn if it is still capturing.
   */
  | 'startHandsFreeTurn'
  /** Stop the microphone and tell the gateway `listen stop`. */
  | 'stopListening'
  /** Stop the microphone without telling the gateway (the link is gone, or the gateway ended the turn). */
  | 'dropListening'
  /** Tell the gateway to abort the current turn; its microphone stops too. */
  | 'sendAbort'
  /**
   * Report the current turn as over the way the event says (played, no audio, barge-in, nothing
   * said). The microphone is left to the other effects: in hands-free the next turn takes it on.
   */
  | 'reportTurn'
  /** Start waiting for the reply, bounded by a timer; the voice-to-voice clock starts now unless a release started it. */
  | 'startReplyTimer'
  | 'cancelReplyTimer'
  /** Let the speaker run out once everything queued has played. */
  | 'finishPlayback'
  /** Cut playback now and discard queued audio of the current turn. */
  | 'stopPlayback'
  /** Show the error for a while, then come back with `errorShown`. */
  | 'startErrorTimer';

export interface Transition {
  readonly to: DeviceState;
  readonly effects: readonly Effect[];
}

type Table = { readonly [S in DeviceState]: Partial<Readonly<Record<DeviceEvent, Transition>>> };

const go = (to: DeviceState, ...effects: Effect[]): Transition => Object.freeze({ to, effects: Object.freeze(effects) });

/**
 * Pairs not listed are ignored: the state stays and nothing happens.
 *
 * Turns that end by a message or a lost link (turnFailed, linkDown, lock, sendAbort) are reported
 * by the runner as it learns why; turns that end as they should are reported by `reportTurn`.
 */
const TABLE: Table = {
  offline: {
    linkUp: go('idle'),
    linkUpLocked: go('locked'),
    linkUpHandsFree: go('handsFree', 'startHandsFreeTurn'),
  },
  idle: {
    buttonDown: go('listening', 'startTurn'),
    handsFreeOn: go('handsFree', 'startHandsFreeTurn'),
    linkDown: go('offline'),
    lock: go('locked'),
  },
  listening: {
    buttonUp: go('thinking', 'stopListening', 'startReplyTimer'),
    // A double press whose release went missing: the short push turn gives way all the same.
    handsFreeOn: go('handsFree', 'sendAbort', 'startHandsFreeTurn'),
    handsFreeOff: go('idle', 'sendAbort'),
    turnFailed: go('error', 'dropListening', 'startErrorTimer'),
    linkDown: go('offline', 'dropListening'),
    // A parent's lock wins over a turn in progress: the toy goes quiet at once.
    lock: go('locked', 'sendAbort'),
  },
  thinking: {
    // Barge-in before the reply started: abandon the turn and listen again.
    buttonDown: go('listening', 'cancelReplyTimer', 'sendAbort', 'startTurn'),
    // The first press of a double press started this short push turn; the second turns it into hands-free,
    handsFreeOn: go('handsFree', 'cancelReplyTimer', 'sendAbort', 'startHandsFreeTurn'),
    // or, when the first press left hands-free, drops it: the child only wanted hands-free off.
    handsFreeOff: go('idle', 'cancelReplyTimer', 'sendAbort'),
    // The reply timer keeps running while speaking: every frame of the reply re-arms it, so a
    // gateway that stalls mid-reply is noticed instead of pulsing "speaking" for ever.
    speakStart: go('speaking'),
    // A reply with no audio at all (speak stop straight away) is over.
    speakStop: go('idle', 'cancelReplyTimer', 'reportTurn'),
    turnFailed: go('error', 'cancelReplyTimer', 'startErrorTimer'),
    replyTimeout: go('error', 'sendAbort', 'startErrorTimer'),
    linkDown: go('offline', 'cancelReplyTimer'),
    lock: go('locked', 'cancelReplyTimer', 'sendAbort'),
  },
  speaking: {
    // Barge-in: cut the toy off, tell the gateway, listen to the child.
    buttonDown: go('listening', 'cancelReplyTimer', 'stopPlayback', 'sendAbort', 'startTurn'),
    handsFreeOn: go('handsFree', 'cancelReplyTimer', 'stopPlayback', 'sendAbort', 'startHandsFreeTurn'),
    handsFreeOff: go('idle', 'cancelReplyTimer', 'stopPlayback', 'sendAbort'),
    speakStop: go('speaking', 'cancelReplyTimer', 'finishPlayback'),
    playbackDone: go('idle', 'reportTurn'),
    turnFailed: go('error', 'cancelReplyTimer', 'stopPlayback', 'startErrorTimer'),
    replyTimeout: go('error', 'stopPlayback', 'sendAbort', 'startErrorTimer'),
    linkDown: go('offline', 'cancelReplyTimer', 'stopPlayback'),
    lock: go('locked', 'cancelReplyTimer', 'stopPlayback', 'sendAbort'),
  },
  error: {
    buttonDown: go('listening', 'startTurn'),
    handsFreeOn: go('handsFree', 'startHandsFreeTurn'),
    errorShown: go('idle'),
    linkDown: go('offline'),
    lock: go('locked'),
  },
  // The button does nothing while locked; only the parent (or a lost link) ends it.
  locked: {
    unlock: go('idle'),
    linkDown: go('offline'),
  },
  handsFree: {
    // A single press is push-to-talk, at once, as anywhere: the hands-free turn gives way and hands-free is over.
    buttonDown: go('listening', 'sendAbort', 'startTurn'),
    // Not reached by the button (the first press of a double press already left hands-free), but it means off.
    handsFreeOff: go('thinking', 'stopListening', 'startReplyTimer'),
    vadEnd: go('handsFreeThinking', 'startReplyTimer'),
    // A gateway that answers without `vad end` is taken to have ended the child's turn.
    speakStart: go('handsFreeSpeaking', 'startReplyTimer'),
    speakStop: go('handsFree', 'reportTurn', 'startHandsFreeTurn'),
    // The child spoke again before the reply began: the gateway cut the turn; the next one has begun.
    vadBargeIn: go('handsFree', 'reportTurn', 'startHandsFreeTurn'),
    // Nobody spoke: the room is not streamed any longer.
    vadIdle: go('idle', 'dropListening', 'reportTurn'),
    turnFailed: go('error', 'dropListening', 'startErrorTimer'),
    linkDown: go('offline', 'dropListening'),
    lock: go('locked', 'sendAbort'),
  },
  handsFreeThinking: {
    buttonDown: go('listening', 'cancelReplyTimer', 'sendAbort', 'startTurn'),
    // Off: the microphone stops (listen stop) and the reply on its way is still heard.
    handsFreeOff: go('thinking', 'stopListening'),
    speakStart: go('handsFreeSpeaking'),
    speakStop: go('handsFree', 'cancelReplyTimer', 'reportTurn', 'startHandsFreeTurn'),
    vadBargeIn: go('handsFree', 'cancelReplyTimer', 'reportTurn', 'startHandsFreeTurn'),
    vadIdle: go('idle', 'cancelReplyTimer', 'dropListening', 'reportTurn'),
    turnFailed: go('error', 'cancelReplyTimer', 'dropListening', 'startErrorTimer'),
    replyTimeout: go('error', 'sendAbort', 'startErrorTimer'),
    linkDown: go('offline', 'cancelReplyTimer', 'dropListening'),
    lock: go('locked', 'cancelReplyTimer', 'sendAbort'),
  },
  handsFreeSpeaking: {
    buttonDown: go('listening', 'cancelReplyTimer', 'stopPlayback', 'sendAbort', 'startTurn'),
    handsFreeOff: go('speaking', 'stopListening'),
    speakStop: go('handsFreeSpeaking', 'cancelReplyTimer', 'finishPlayback'),
    // The reply has played: the next hands-free turn begins on the microphone that never stopped.
    playbackDone: go('handsFree', 'reportTurn', 'startHandsFreeTurn'),
    // The child spoke over the reply: silence at once; no abort, the gateway has cut the turn already.
    vadBargeIn: go('handsFree', 'cancelReplyTimer', 'stopPlayback', 'reportTurn', 'startHandsFreeTurn'),
    vadIdle: go('idle', 'cancelReplyTimer', 'stopPlayback', 'dropListening', 'reportTurn'),
    turnFailed: go('error', 'cancelReplyTimer', 'stopPlayback', 'dropListening', 'startErrorTimer'),
    replyTimeout: go('error', 'stopPlayback', 'sendAbort', 'startErrorTimer'),
    linkDown: go('offline', 'cancelReplyTimer', 'stopPlayback', 'dropListening'),
    lock: go('locked', 'cancelReplyTimer', 'stopPlayback', 'sendAbort'),
  },
};

const STAY: Readonly<Record<DeviceState, Transition>> = Object.freeze(
  Object.fromEntries(STATES.map((s) => [s, go(s)])) as Record<DeviceState, Transition>,
);

/** The next state and the effects to perform, in order. Unlisted pairs leave the state as it is. */
export function transition(state: DeviceState, event: DeviceEvent): Transition {
  return TABLE[state][event] ?? STAY[state];
}

/**
 * The device's conversation state machine: a pure transition table. It never
 * touches hardware or the network; it names effects that the runner performs,
 * so every (state, event) pair can be tested on its own.
 */
export const STATES = ['offline', 'idle', 'listening', 'thinking', 'speaking', 'error', 'locked'] as const;
export type DeviceState = (typeof STATES)[number];

/** The states of a turn in progress; every other state is between turns. */
export const TURN_STATES: ReadonlySet<DeviceState> = new Set(['listening', 'thinking', 'speaking']);

export const EVENTS = [
  /** The gateway welcomed us. */
  'linkUp',
  /** The gateway welcomed us, and a parent has locked the toy: it shows locked at once, never idle first. */
  'linkUpLocked',
  /** The WebSocket closed or stopped answering pings. */
  'linkDown',
  'buttonDown',
  'buttonUp',
  /** The gateway's `speak start` for the current turn. */
  'speakStart',
  /** The gateway's `speak stop` for the current turn: no more audio will come. */
  'speakStop',
  /** The speaker has played the last sample of the turn. */
  'playbackDone',
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
  /** Choose a new turn number, tell the gateway `listen start`, start the microphone. */
  | 'startTurn'
  /** Stop the microphone and tell the gateway `listen stop`. */
  | 'stopListening'
  /** Stop the microphone without telling the gateway (the link is gone). */
  | 'dropListening'
  /** Tell the gateway to abort the current turn. */
  | 'sendAbort'
  /** Start waiting for the reply, bounded by a timer. */
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

/** Pairs not listed are ignored: the state stays and nothing happens. */
const TABLE: Table = {
  offline: {
    linkUp: go('idle'),
    linkUpLocked: go('locked'),
  },
  idle: {
    buttonDown: go('listening', 'startTurn'),
    linkDown: go('offline'),
    lock: go('locked'),
  },
  listening: {
    buttonUp: go('thinking', 'stopListening', 'startReplyTimer'),
    turnFailed: go('error', 'dropListening', 'startErrorTimer'),
    linkDown: go('offline', 'dropListening'),
    // A parent's lock wins over a turn in progress: the toy goes quiet at once.
    lock: go('locked', 'sendAbort'),
  },
  thinking: {
    // Barge-in before the reply started: abandon the turn and listen again.
    buttonDown: go('listening', 'cancelReplyTimer', 'sendAbort', 'startTurn'),
    // The reply timer keeps running while speaking: every frame of the reply re-arms it, so a
    // gateway that stalls mid-reply is noticed instead of pulsing "speaking" for ever.
    speakStart: go('speaking'),
    // A reply with no audio at all (speak stop straight away) is over.
    speakStop: go('idle', 'cancelReplyTimer'),
    turnFailed: go('error', 'cancelReplyTimer', 'startErrorTimer'),
    replyTimeout: go('error', 'sendAbort', 'startErrorTimer'),
    linkDown: go('offline', 'cancelReplyTimer'),
    lock: go('locked', 'cancelReplyTimer', 'sendAbort'),
  },
  speaking: {
    // Barge-in: cut the toy off, tell the gateway, listen to the child.
    buttonDown: go('listening', 'cancelReplyTimer', 'stopPlayback', 'sendAbort', 'startTurn'),
    speakStop: go('speaking', 'cancelReplyTimer', 'finishPlayback'),
    playbackDone: go('idle'),
    turnFailed: go('error', 'cancelReplyTimer', 'stopPlayback', 'startErrorTimer'),
    replyTimeout: go('error', 'stopPlayback', 'sendAbort', 'startErrorTimer'),
    linkDown: go('offline', 'cancelReplyTimer', 'stopPlayback'),
    lock: go('locked', 'cancelReplyTimer', 'stopPlayback', 'sendAbort'),
  },
  error: {
    buttonDown: go('listening', 'startTurn'),
    errorShown: go('idle'),
    linkDown: go('offline'),
    lock: go('locked'),
  },
  // The button does nothing while locked; only the parent (or a lost link) ends it.
  locked: {
    unlock: go('idle'),
    linkDown: go('offline'),
  },
};

const STAY: Readonly<Record<DeviceState, Transition>> = Object.freeze(
  Object.fromEntries(STATES.map((s) => [s, go(s)])) as Record<DeviceState, Transition>,
);

/** The next state and the effects to perform, in order. Unlisted pairs leave the state as it is. */
export function transition(state: DeviceState, event: DeviceEvent): Transition {
  return TABLE[state][event] ?? STAY[state];
}

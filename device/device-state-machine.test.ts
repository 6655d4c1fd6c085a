import t from 'tap';
import { EVENTS, STATES, transition, type DeviceEvent, type DeviceState } from './device-state-machine.js';

// Every (state, event) pair, written out: "to: effect, effect" or "-" for ignored.
const EXPECTED: Record<DeviceState, Record<DeviceEvent, string>> = {
  offline: {
    linkUp: 'idle:',
    linkUpLocked: 'locked:',
    linkDown: '-',
    buttonDown: '-',
    buttonUp: '-',
    speakStart: '-',
    speakStop: '-',
    playbackDone: '-',
    turnFailed: '-',
    replyTimeout: '-',
    errorShown: '-',
    lock: '-',
    unlock: '-',
  },
  idle: {
    linkUp: '-',
    linkUpLocked: '-',
    linkDown: 'offline:',
    buttonDown: 'listening: startTurn',
    buttonUp: '-',
    speakStart: '-',
    speakStop: '-',
    playbackDone: '-',
    turnFailed: '-',
    replyTimeout: '-',
    errorShown: '-',
    lock: 'locked:',
    unlock: '-',
  },
  listening: {
    linkUp: '-',
    linkUpLocked: '-',
    linkDown: 'offline: dropListening',
    buttonDown: '-',
    buttonUp: 'thinking: stopListening, startReplyTimer',
    speakStart: '-',
    speakStop: '-',
    playbackDone: '-',
    turnFailed: 'error: dropListening, startErrorTimer',
    replyTimeout: '-',
    errorShown: '-',
    lock: 'locked: sendAbort',
    unlock: '-',
  },
  thinking: {
    linkUp: '-',
    linkUpLocked: '-',
    linkDown: 'offline: cancelReplyTimer',
    buttonDown: 'listening: cancelReplyTimer, sendAbort, startTurn',
    buttonUp: '-',
    speakStart: 'speaking:',
    speakStop: 'idle: cancelReplyTimer',
    playbackDone: '-',
    turnFailed: 'error: cancelReplyTimer, startErrorTimer',
    replyTimeout: 'error: sendAbort, startErrorTimer',
    errorShown: '-',
    lock: 'locked: cancelReplyTimer, sendAbort',
    unlock: '-',
  },
  speaking: {
    linkUp: '-',
    linkUpLocked: '-',
    linkDown: 'offline: cancelReplyTimer, stopPlayback',
    buttonDown: 'listening: cancelReplyTimer, stopPlayback, sendAbort, startTurn',
    buttonUp: '-',
    speakStart: '-',
    speakStop: 'speaking: cancelReplyTimer, finishPlayback',
    playbackDone: 'idle:',
    turnFailed: 'error: cancelReplyTimer, stopPlayback, startErrorTimer',
    replyTimeout: 'error: stopPlayback, sendAbort, startErrorTimer',
    errorShown: '-',
    lock: 'locked: cancelReplyTimer, stopPlayback, sendAbort',
    unlock: '-',
  },
  error: {
    linkUp: '-',
    linkUpLocked: '-',
    linkDown: 'offline:',
    buttonDown: 'listening: startTurn',
    buttonUp: '-',
    speakStart: '-',
    speakStop: '-',
    playbackDone: '-',
    turnFailed: '-',
    replyTimeout: '-',
    errorShown: 'idle:',
    lock: 'locked:',
    unlock: '-',
  },
  locked: {
    linkUp: '-',
    linkUpLocked: '-',
    linkDown: 'offline:',
    buttonDown: '-',
    buttonUp: '-',
    speakStart: '-',
    speakStop: '-',
    playbackDone: '-',
    turnFailed: '-',
    replyTimeout: '-',
    errorShown: '-',
    lock: '-',
    unlock: 'idle:',
  },
};

for (const state of STATES) {
  t.test(`from ${state}`, async (t) => {
    for (const event of EVENTS) {
      const next = transition(state, event);
      const expected = EXPECTED[state][event];
      const actual = expected === '-' && next.to === state && next.effects.length === 0 ? '-' : `${next.to}: ${next.effects.join(', ')}`.trimEnd();
      t.equal(actual, expected, `${state} + ${event}`);
    }
  });
}

t.test('the table covers exactly the declared states and events', async (t) => {
  t.same(Object.keys(EXPECTED).sort(), [...STATES].sort());
  for (const state of STATES) t.same(Object.keys(EXPECTED[state]).sort(), [...EVENTS].sort(), state);
});

t.test('every state but offline is left when the link goes down, and only a welcome leaves offline', async (t) => {
  for (const state of STATES) {
    t.equal(transition(state, 'linkDown').to, 'offline', state);
    const exits = EVENTS.filter((e) => transition('offline', e).to !== 'offline');
    t.same(exits, ['linkUp', 'linkUpLocked']);
  }
});

t.test('transitions are frozen so no caller can change the table', async (t) => {
  const next = transition('idle', 'buttonDown');
  t.ok(Object.isFrozen(next));
  t.ok(Object.isFrozen(next.effects));
});

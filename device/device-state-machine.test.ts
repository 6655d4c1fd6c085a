import t from 'tap';
import { EVENTS, HANDS_FREE_STATES, STATES, TURN_STATES, transition, type DeviceEvent, type DeviceState, type Effect } from './device-state-machine.js';

// Every (state, event) pair, written out: "to: effect, effect" or "-" for ignored.
const EXPECTED: Record<DeviceState, Record<DeviceEvent, string>> = {
  offline: {
    linkUp: 'idle:',
    linkUpLocked: 'locked:',
    linkUpHandsFree: 'handsFree: startHandsFreeTurn',
    linkDown: '-',
    buttonDown: '-',
    buttonUp: '-',
    handsFreeOn: '-',
    handsFreeOff: '-',
    speakStart: '-',
    speakStop: '-',
    playbackDone: '-',
    vadEnd: '-',
    vadBargeIn: '-',
    vadIdle: '-',
    turnFailed: '-',
    replyTimeout: '-',
    errorShown: '-',
    lock: '-',
    unlock: '-',
  },
  idle: {
    linkUp: '-',
    linkUpLocked: '-',
    linkUpHandsFree: '-',
    linkDown: 'offline:',
    buttonDown: 'listening: startTurn',
    buttonUp: '-',
    handsFreeOn: 'handsFree: startHandsFreeTurn',
    handsFreeOff: '-',
    speakStart: '-',
    speakStop: '-',
    playbackDone: '-',
    vadEnd: '-',
    vadBargeIn: '-',
    vadIdle: '-',
    turnFailed: '-',
    replyTimeout: '-',
    errorShown: '-',
    lock: 'locked:',
    unlock: '-',
  },
  listening: {
    linkUp: '-',
    linkUpLocked: '-',
    linkUpHandsFree: '-',
    linkDown: 'offline: dropListening',
    buttonDown: '-',
    buttonUp: 'thinking: stopListening, startReplyTimer',
    handsFreeOn: 'handsFree: sendAbort, startHandsFreeTurn',
    handsFreeOff: 'idle: sendAbort',
    speakStart: '-',
    speakStop: '-',
    playbackDone: '-',
    vadEnd: '-',
    vadBargeIn: '-',
    vadIdle: '-',
    turnFailed: 'error: dropListening, startErrorTimer',
    replyTimeout: '-',
    errorShown: '-',
    lock: 'locked: sendAbort',
    unlock: '-',
  },
  thinking: {
    linkUp: '-',
    linkUpLocked: '-',
    linkUpHandsFree: '-',
    linkDown: 'offline: cancelReplyTimer',
    buttonDown: 'listening: cancelReplyTimer, sendAbort, startTurn',
    buttonUp: '-',
    handsFreeOn: 'handsFree: cancelReplyTimer, sendAbort, startHandsFreeTurn',
    handsFreeOff: 'idle: cancelReplyTimer, sendAbort',
    speakStart: 'speaking:',
    speakStop: 'idle: cancelReplyTimer, reportTurn',
    playbackDone: '-',
    vadEnd: '-',
    vadBargeIn: '-',
    vadIdle: '-',
    turnFailed: 'error: cancelReplyTimer, startErrorTimer',
    replyTimeout: 'error: sendAbort, startErrorTimer',
    errorShown: '-',
    lock: 'locked: cancelReplyTimer, sendAbort',
    unlock: '-',
  },
  speaking: {
    linkUp: '-',
    linkUpLocked: '-',
    linkUpHandsFree: '-',
    linkDown: 'offline: cancelReplyTimer, stopPlayback',
    buttonDown: 'listening: cancelReplyTimer, stopPlayback, sendAbort, startTurn',
    buttonUp: '-',
    handsFreeOn: 'handsFree: cancelReplyTimer, stopPlayback, sendAbort, startHandsFreeTurn',
    handsFreeOff: 'idle: cancelReplyTimer, stopPlayback, sendAbort',
    speakStart: '-',
    speakStop: 'speaking: cancelReplyTimer, finishPlayback',
    playbackDone: 'idle: reportTurn',
    vadEnd: '-',
    vadBargeIn: '-',
    vadIdle: '-',
    turnFailed: 'error: cancelReplyTimer, stopPlayback, startErrorTimer',
    replyTimeout: 'error: stopPlayback, sendAbort, startErrorTimer',
    errorShown: '-',
    lock: 'locked: cancelReplyTimer, stopPlayback, sendAbort',
    unlock: '-',
  },
  error: {
    linkUp: '-',
    linkUpLocked: '-',
    linkUpHandsFree: '-',
    linkDown: 'offline:',
    buttonDown: 'listening: startTurn',
    buttonUp: '-',
    handsFreeOn: 'handsFree: startHandsFreeTurn',
    handsFreeOff: '-',
    speakStart: '-',
    speakStop: '-',
    playbackDone: '-',
    vadEnd: '-',
    vadBargeIn: '-',
    vadIdle: '-',
    turnFailed: '-',
    replyTimeout: '-',
    errorShown: 'idle:',
    lock: 'locked:',
    unlock: '-',
  },
  locked: {
    linkUp: '-',
    linkUpLocked: '-',
    linkUpHandsFree: '-',
    linkDown: 'offline:',
    buttonDown: '-',
    buttonUp: '-',
    handsFreeOn: '-',
    handsFreeOff: '-',
    speakStart: '-',
    speakStop: '-',
    playbackDone: '-',
    vadEnd: '-',
    vadBargeIn: '-',
    vadIdle: '-',
    turnFailed: '-',
    replyTimeout: '-',
    errorShown: '-',
    lock: '-',
    unlock: 'idle:',
  },
  handsFree: {
    linkUp: '-',
    linkUpLocked: '-',
    linkUpHandsFree: '-',
    linkDown: 'offline: dropListening',
    buttonDown: 'listening: sendAbort, startTurn',
    buttonUp: '-',
    handsFreeOn: '-',
    handsFreeOff: 'thinking: stopListening, startReplyTimer',
    speakStart: 'handsFreeSpeaking: startReplyTimer',
    speakStop: 'handsFree: reportTurn, startHandsFreeTurn',
    playbackDone: '-',
    vadEnd: 'handsFreeThinking: startReplyTimer',
    vadBargeIn: 'handsFree: reportTurn, startHandsFreeTurn',
    vadIdle: 'idle: dropListening, reportTurn',
    turnFailed: 'error: dropListening, startErrorTimer',
    replyTimeout: '-',
    errorShown: '-',
    lock: 'locked: sendAbort',
    unlock: '-',
  },
  handsFreeThinking: {
    linkUp: '-',
    linkUpLocked: '-',
    linkUpHandsFree: '-',
    linkDown: 'offline: cancelReplyTimer, dropListening',
    buttonDown: 'listening: cancelReplyTimer, sendAbort, startTurn',
    buttonUp: '-',
    handsFreeOn: '-',
    handsFreeOff: 'thinking: stopListening',
    speakStart: 'handsFreeSpeaking:',
    speakStop: 'handsFree: cancelReplyTimer, reportTurn, startHandsFreeTurn',
    playbackDone: '-',
    vadEnd: '-',
    vadBargeIn: 'handsFree: cancelReplyTimer, reportTurn, startHandsFreeTurn',
    vadIdle: 'idle: cancelReplyTimer, dropListening, reportTurn',
    turnFailed: 'error: cancelReplyTimer, dropListening, startErrorTimer',
    replyTimeout: 'error: sendAbort, startErrorTimer',
    errorShown: '-',
    lock: 'locked: cancelReplyTimer, sendAbort',
    unlock: '-',
  },
  handsFreeSpeaking: {
    linkUp: '-',
    linkUpLocked: '-',
    linkUpHandsFree: '-',
    linkDown: 'offline: cancelReplyTimer, stopPlayback, dropListening',
    buttonDown: 'listening: cancelReplyTimer, stopPlayback, sendAbort, startTurn',
    buttonUp: '-',
    handsFreeOn: '-',
    handsFreeOff: 'speaking: stopListening',
    speakStart: '-',
    speakStop: 'handsFreeSpeaking: cancelReplyTimer, finishPlayback',
    playbackDone: 'handsFree: reportTurn, startHandsFreeTurn',
    vadEnd: '-',
    vadBargeIn: 'handsFree: cancelReplyTimer, stopPlayback, reportTurn, startHandsFreeTurn',
    vadIdle: 'idle: cancelReplyTimer, stopPlayback, dropListening, reportTurn',
    turnFailed: 'error: cancelReplyTimer, stopPlayback, dropListening, startErrorTimer',
    replyTimeout: 'error: stopPlayback, sendAbort, startErrorTimer',
    errorShown: '-',
    lock: 'locked: cancelReplyTimer, stopPlayback, sendAbort',
    unlock: '-',
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
    t.same(exits, ['linkUp', 'linkUpLocked', 'linkUpHandsFree']);
  }
});

/** Every (state, event) pair that does something, with its transition. */
const moves = STATES.flatMap((from) => EVENTS.map((event) => ({ from, event, ...transition(from, event) })));
const stopsMicrophone = (effects: readonly Effect[]) => effects.some((e) => e === 'stopListening' || e === 'dropListening' || e === 'sendAbort');

t.test('the microphone never streams on into a state that does not listen', async (t) => {
  // Outside listening and the hands-free states the room must not be streamed.
  const listens = (s: DeviceState) => s === 'listening' || HANDS_FREE_STATES.has(s);
  for (const m of moves) {
    if (listens(m.from) && !listens(m.to)) t.ok(stopsMicrophone(m.effects), `${m.from} + ${m.event} -> ${m.to} stops the microphone`);
    if (HANDS_FREE_STATES.has(m.from) && m.to === 'listening') t.ok(m.effects.includes('sendAbort'), `${m.from} + ${m.event}: the hands-free turn gives way to the push turn`);
  }
});

t.test('a new turn never starts over a running one that was neither aborted nor reported', async (t) => {
  for (const m of moves) {
    const starts = m.effects.findIndex((e) => e === 'startTurn' || e === 'startHandsFreeTurn');
    if (starts < 0 || !TURN_STATES.has(m.from)) continue;
    const before = m.effects.slice(0, starts);
    t.ok(before.includes('sendAbort') || before.includes('reportTurn'), `${m.from} + ${m.event}: ${m.effects.join(', ')}`);
  }
});

t.test('hands-free turns follow one another; only a start into hands-free starts one', async (t) => {
  for (const m of moves) {
    if (m.effects.includes('startHandsFreeTurn')) t.equal(m.to, 'handsFree', `${m.from} + ${m.event}`);
    if (m.to === 'handsFree' && m.from !== 'handsFree') t.ok(m.effects.includes('startHandsFreeTurn'), `${m.from} + ${m.event} starts a hands-free turn`);
    if (m.effects.includes('startTurn')) t.equal(m.to, 'listening', `${m.from} + ${m.event}`);
  }
  for (const state of HANDS_FREE_STATES) t.equal(transition(state, 'buttonUp').to, state, `${state}: letting go of the button changes nothing`);
});

t.test('transitions are frozen so no caller can change the table', async (t) => {
  const next = transition('idle', 'buttonDown');
  t.ok(Object.isFrozen(next));
  t.ok(Object.isFrozen(next.effects));
});

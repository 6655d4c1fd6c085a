import t from 'tap';
import { EVENTS, HANDS_FREE_STATES, HEARING_STATES, STATES, TURN_STATES, transition, type SessionEffect, type SessionEvent, type SessionState } from './session-state-machine.js';

// Every (state, event) pair, written out: "to: effect, effect" or "-" for ignored.
const EXPECTED: Record<SessionState, Record<SessionEvent, string>> = {
  idle: {
    pushStart: 'listening: openPushTurn',
    handsFreeStart: 'handsFreeWaiting: startHandsFree, openHandsFreeTurn',
    listenStop: '-',
    handsFreeOff: '-',
    handsFreeStopped: '-',
    speech: '-',
    vadEnd: '-',
    bargeIn: '-',
    vadIdle: '-',
    turnDone: '-',
    turnFailed: '-',
    abort: '-',
    lock: 'locked:',
    unlock: '-',
    disconnect: 'closed:',
  },
  listening: {
    pushStart: 'listening: abortTurn, openPushTurn',
    handsFreeStart: 'handsFreeWaiting: abortTurn, startHandsFree, openHandsFreeTurn',
    listenStop: 'answering: stopAudio',
    handsFreeOff: '-',
    handsFreeStopped: '-',
    speech: '-',
    vadEnd: '-',
    bargeIn: '-',
    vadIdle: '-',
    turnDone: 'idle:',
    turnFailed: 'idle:',
    abort: 'idle: abortTurn',
    lock: 'locked: abortTurn',
    unlock: '-',
    disconnect: 'closed: abortTurn',
  },
  answering: {
    pushStart: 'listening: abortTurn, openPushTurn',
    handsFreeStart: 'handsFreeWaiting: abortTurn, startHandsFree, openHandsFreeTurn',
    listenStop: '-',
    handsFreeOff: '-',
    handsFreeStopped: '-',
    speech: '-',
    vadEnd: '-',
    bargeIn: 'idle: sendVadBargeIn, abortTurn',
    vadIdle: '-',
    turnDone: 'idle:',
    turnFailed: 'idle:',
    abort: 'idle: abortTurn',
    lock: 'locked: abortTurn',
    unlock: '-',
    disconnect: 'closed: abortTurn',
  },
  handsFreeWaiting: {
    pushStart: 'listening: endHandsFree, abortTurn, openPushTurn',
    handsFreeStart: 'handsFreeWaiting: abortTurn, openHandsFreeTurn',
    listenStop: '-',
    handsFreeOff: 'handsFreeOffWaiting: stopHandsFree',
    handsFreeStopped: '-',
    speech: 'handsFreeListening: sendVadSpeech, startPipeline',
    vadEnd: '-',
    bargeIn: '-',
    vadIdle: 'idle: sendVadIdle, dropHandsFree, abortTurn',
    turnDone: '-',
    turnFailed: '-',
    abort: 'idle: endHandsFree, abortTurn',
    lock: 'locked: endHandsFree, abortTurn',
    unlock: '-',
    disconnect: 'closed: endHandsFree, abortTurn',
  },
  handsFreeListening: {
    pushStart: 'listening: endHandsFree, abortTurn, openPushTurn',
    handsFreeStart: 'handsFreeWaiting: abortTurn, openHandsFreeTurn',
    listenStop: '-',
    handsFreeOff: 'handsFreeOffListening: stopHandsFree',
    handsFreeStopped: '-',
    speech: '-',
    vadEnd: 'handsFreeAnswering: noteHangover, sendVadEnd, stopAudio',
    bargeIn: '-',
    vadIdle: '-',
    turnDone: 'handsFreeIdle:',
    turnFailed: 'idle: endHandsFree',
    abort: 'idle: endHandsFree, abortTurn',
    lock: 'locked: endHandsFree, abortTurn',
    unlock: '-',
    disconnect: 'closed: endHandsFree, abortTurn',
  },
  handsFreeAnswering: {
    pushStart: 'listening: endHandsFree, abortTurn, openPushTurn',
    handsFreeStart: 'handsFreeWaiting: abortTurn, openHandsFreeTurn',
    listenStop: '-',
    handsFreeOff: 'answering: stopHandsFree',
    handsFreeStopped: '-',
    speech: '-',
    vadEnd: '-',
    bargeIn: 'handsFreeIdle: sendVadBargeIn, abortTurn',
    vadIdle: '-',
    turnDone: 'handsFreeIdle:',
    turnFailed: 'idle: endHandsFree',
    abort: 'idle: endHandsFree, abortTurn',
    lock: 'locked: endHandsFree, abortTurn',
    unlock: '-',
    disconnect: 'closed: endHandsFree, abortTurn',
  },
  handsFreeIdle: {
    pushStart: 'listening: endHandsFree, openPushTurn',
    handsFreeStart: 'handsFreeWaiting: openHandsFreeTurn',
    listenStop: '-',
    handsFreeOff: 'idle: stopHandsFree',
    handsFreeStopped: '-',
    speech: '-',
    vadEnd: '-',
    bargeIn: 'handsFreeIdle: sendVadBargeIn',
    vadIdle: '-',
    turnDone: '-',
    turnFailed: '-',
    abort: '-',
    lock: 'locked: endHandsFree',
    unlock: '-',
    disconnect: 'closed: endHandsFree',
  },
  handsFreeOffWaiting: {
    pushStart: 'listening: abortTurn, openPushTurn',
    handsFreeStart: 'handsFreeWaiting: abortTurn, startHandsFree, openHandsFreeTurn',
    listenStop: '-',
    handsFreeOff: '-',
    handsFreeStopped: 'idle: abortTurn, sendSpeakStop',
    speech: 'handsFreeOffListening: sendVadSpeech, startPipeline',
    vadEnd: '-',
    bargeIn: '-',
    vadIdle: '-',
    turnDone: '-',
    turnFailed: '-',
    abort: 'idle: abortTurn',
    lock: 'locked: abortTurn',
    unlock: '-',
    disconnect: 'closed: abortTurn',
  },
  handsFreeOffListening: {
    pushStart: 'listening: abortTurn, openPushTurn',
    handsFreeStart: 'handsFreeWaiting: abortTurn, startHandsFree, openHandsFreeTurn',
    listenStop: '-',
    handsFreeOff: '-',
    handsFreeStopped: 'answering: stopAudio',
    speech: '-',
    vadEnd: 'answering: noteHangover, sendVadEnd, stopAudio',
    bargeIn: '-',
    vadIdle: '-',
    turnDone: 'idle:',
    turnFailed: 'idle:',
    abort: 'idle: abortTurn',
    lock: 'locked: abortTurn',
    unlock: '-',
    disconnect: 'closed: abortTurn',
  },
  locked: {
    pushStart: 'locked: refuseLocked',
    handsFreeStart: 'locked: refuseLocked',
    listenStop: '-',
    handsFreeOff: '-',
    handsFreeStopped: '-',
    speech: '-',
    vadEnd: '-',
    bargeIn: '-',
    vadIdle: '-',
    turnDone: '-',
    turnFailed: '-',
    abort: '-',
    lock: '-',
    unlock: 'idle:',
    disconnect: 'closed:',
  },
  closed: {
    pushStart: '-',
    handsFreeStart: '-',
    listenStop: '-',
    handsFreeOff: '-',
    handsFreeStopped: '-',
    speech: '-',
    vadEnd: '-',
    bargeIn: '-',
    vadIdle: '-',
    turnDone: '-',
    turnFailed: '-',
    abort: '-',
    lock: '-',
    unlock: '-',
    disconnect: '-',
  },
};

const written = (state: SessionState, event: SessionEvent) => {
  const next = transition(state, event);
  return next.to === state && next.effects.length === 0 ? '-' : `${next.to}:${next.effects.length ? ' ' + next.effects.join(', ') : ''}`;
};

for (const state of STATES) {
  t.test(`from ${state}`, async (t) => {
    for (const event of EVENTS) t.equal(written(state, event), EXPECTED[state][event], `${state} + ${event}`);
  });
}

/** The events by which the pipeline itself says the turn is over: nothing is left to abort. */
const TURN_OVER: ReadonlySet<SessionEvent> = new Set(['turnDone', 'turnFailed']);
const has = (state: SessionState, event: SessionEvent, effect: SessionEffect) => transition(state, event).effects.includes(effect);

t.test('a turn left for no turn is aborted, unless the pipeline ended it or nothing had started', async (t) => {
  for (const state of TURN_STATES) {
    for (const event of EVENTS) {
      const next = transition(state, event);
      if (TURN_STATES.has(next.to) && !next.effects.includes('openPushTurn') && !next.effects.includes('openHandsFreeTurn')) continue;
      if (next.to === state && next.effects.length === 0) continue;
      if (TURN_OVER.has(event)) t.notOk(next.effects.includes('abortTurn'), `${state} + ${event}: the pipeline already ended it`);
      else t.ok(next.effects.includes('abortTurn'), `${state} + ${event} aborts the turn`);
    }
  }
});

t.test('a new turn is opened only by a listen start, and always so outside locked', async (t) => {
  for (const state of STATES) {
    for (const event of EVENTS) {
      const opens = has(state, event, 'openPushTurn') || has(state, event, 'openHandsFreeTurn');
      if (event === 'pushStart' || event === 'handsFreeStart') t.equal(opens, state !== 'locked' && state !== 'closed', `${state} + ${event}`);
      else t.notOk(opens, `${state} + ${event} opens no turn`);
    }
  }
});

t.test('a listener never outlives hands-free: leaving it closes, stops or forgets it', async (t) => {
  for (const state of HANDS_FREE_STATES) {
    for (const event of EVENTS) {
      const next = transition(state, event);
      if (HANDS_FREE_STATES.has(next.to)) continue;
      const ends = next.effects.some((effect) => effect === 'endHandsFree' || effect === 'stopHandsFree' || effect === 'dropHandsFree');
      t.ok(ends, `${state} + ${event} -> ${next.to} ends the listener`);
    }
  }
  for (const state of STATES.filter((s) => !HANDS_FREE_STATES.has(s))) {
    for (const event of EVENTS) {
      const next = transition(state, event);
      if (HANDS_FREE_STATES.has(next.to)) t.ok(has(state, event, 'startHandsFree'), `${state} + ${event} -> ${next.to} starts a listener`);
    }
  }
});

t.test('a listener is started only where none is running', async (t) => {
  for (const state of HANDS_FREE_STATES) for (const event of EVENTS) t.notOk(has(state, event, 'startHandsFree'), `${state} + ${event}`);
});

t.test('the pipeline of a hands-free turn starts once, when the child speaks', async (t) => {
  for (const state of STATES) {
    for (const event of EVENTS) {
      if (!has(state, event, 'startPipeline')) continue;
      t.equal(event, 'speech', `${state} + ${event}`);
      t.ok(state === 'handsFreeWaiting' || state === 'handsFreeOffWaiting', `only from a waiting turn: ${state}`);
    }
  }
});

t.test('hearing states are turn states, and so are the answering ones', async (t) => {
  for (const state of HEARING_STATES) t.ok(TURN_STATES.has(state), state);
  t.same([...TURN_STATES].filter((state) => !HEARING_STATES.has(state)), ['answering', 'handsFreeAnswering']);
});

t.test('audio ends only for a turn that was hearing it', async (t) => {
  for (const state of STATES) for (const event of EVENTS) if (has(state, event, 'stopAudio')) t.ok(HEARING_STATES.has(state), `${state} + ${event}`);
});

t.test('a lock always ends in locked, a disconnect in closed, and closed is the end', async (t) => {
  for (const state of STATES.filter((s) => s !== 'closed')) t.equal(transition(state, 'lock').to, 'locked', `${state} + lock`);
  for (const state of STATES) t.equal(transition(state, 'disconnect').to, 'closed', `${state} + disconnect`);
  for (const event of EVENTS) t.same(transition('closed', event), { to: 'closed', effects: [] }, `closed + ${event}`);
});

t.test('transitions are frozen', async (t) => {
  const next = transition('idle', 'pushStart');
  t.ok(Object.isFrozen(next) && Object.isFrozen(next.effects));
});

import t from 'tap';
import { BREAKER_EVENTS, BREAKER_STATES, breakerTransition, type BreakerEvent, type BreakerState } from './circuit-breaker-table.js';

// Every (state, event) pair, written out: "next: effect, effect".
const EXPECTED: Record<BreakerState, Record<BreakerEvent, string>> = {
  closed: {
    call: 'closed: admit',
    callAfterCoolDown: 'closed: admit',
    success: 'closed: forgetFailures',
    failure: 'closed: countFailure',
    lastFailure: 'open: countFailure, startCoolDown, reportDown',
    abandoned: 'closed:',
  },
  open: {
    call: 'open: refuse',
    callAfterCoolDown: 'halfOpen: startProbe, admit',
    success: 'open:',
    failure: 'open:',
    lastFailure: 'open:',
    abandoned: 'open:',
  },
  halfOpen: {
    call: 'halfOpen: refuse',
    callAfterCoolDown: 'halfOpen: startProbe, admit',
    success: 'closed: forgetFailures, resetCoolDown, reportBack',
    failure: 'open: lengthenCoolDown, reportStillDown',
    lastFailure: 'open: lengthenCoolDown, reportStillDown',
    abandoned: 'open: endCoolDown',
  },
};

t.test('every (state, event) pair of the breaker table', async (t) => {
  for (const state of BREAKER_STATES) {
    for (const event of BREAKER_EVENTS) {
      const { next, effects } = breakerTransition(state, event);
      t.equal(`${next}: ${effects.join(', ')}`.trim(), EXPECTED[state][event], `${state} + ${event}`);
    }
  }
});

t.test('only a call is ever refused, and only while the breaker is not closed', async (t) => {
  for (const state of BREAKER_STATES) {
    for (const event of BREAKER_EVENTS) {
      const refuses = breakerTransition(state, event).effects.includes('refuse');
      t.equal(refuses, state !== 'closed' && event === 'call', `${state} + ${event}`);
    }
  }
});

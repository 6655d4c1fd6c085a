/**
 * One provider's circuit breaker as a pure transition table: what each event does in each
 * state, as named effects that CircuitBreaker carries out (counting, timing, logging), so
 * every (state, event) pair can be tested on its own and no flag says what the state means.
 */
export const BREAKER_STATES = [
  /** Calls go through; failures in a row are counted. */
  'closed',
  /** The provider is down: every call is refused at once until the cool-down is over. */
  'open',
  /** The cool-down is over and one call, the probe, is out: its answer decides. */
  'halfOpen',
] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export const BREAKER_EVENTS = [
  /** A call asks to go through. */
  'call',
  /** A call asks to go through and the cool-down is over (open), or the probe out has been out for a whole cool-down (half-open): it is the probe. */
  'callAfterCoolDown',
  /** A call let through was answered (a stream: its first piece came). */
  'success',
  /** A call let through failed in a way that says the provider is down, and the count is still under the threshold. */
  'failure',
  /** The failure that reaches the threshold. */
  'lastFailure',
  /** A call let through ended without telling anything of the provider: the caller cut it. */
  'abandoned',
] as const;
export type BreakerEvent = (typeof BREAKER_EVENTS)[number];

export type BreakerEffect =
  /** Let this call through. */
  | 'admit'
  /** Fail this call at once with provider_down. */
  | 'refuse'
  /** This call is the probe; if it has not been answered within a cool-down, the next call probes instead. */
  | 'startProbe'
  /** The probe was cut: the next call probes at once. */
  | 'endCoolDown'
  | 'countFailure'
  | 'forgetFailures'
  /** Open for the first cool-down. */
  | 'startCoolDown'
  /** Open again for twice the last cool-down, up to the cap. */
  | 'lengthenCoolDown'
  /** The next opening starts from the first cool-down again. */
  | 'resetCoolDown'
  /** The one log line that says the provider is down. */
  | 'reportDown'
  /** The probe failed: one line per cool-down, not one per turn. */
  | 'reportStillDown'
  /** The one log line that says it answers again. */
  | 'reportBack';

export interface BreakerTransition {
  readonly next: BreakerState;
  readonly effects: readonly BreakerEffect[];
}

const stay = (state: BreakerState, ...effects: BreakerEffect[]): BreakerTransition => ({ next: state, effects });

export const BREAKER_TABLE: Readonly<Record<BreakerState, Readonly<Record<BreakerEvent, BreakerTransition>>>> = {
  closed: {
    call: stay('closed', 'admit'),
    // Only an open breaker has a cool-down; closed, every call goes through.
    callAfterCoolDown: stay('closed', 'admit'),
    success: stay('closed', 'forgetFailures'),
    failure: stay('closed', 'countFailure'),
    lastFailure: { next: 'open', effects: ['countFailure', 'startCoolDown', 'reportDown'] },
    abandoned: stay('closed'),
  },
  open: {
    call: stay('open', 'refuse'),
    callAfterCoolDown: { next: 'halfOpen', effects: ['startProbe', 'admit'] },
    // Answers to calls let through before it opened: the probe, not a straggler, decides.
    success: stay('open'),
    failure: stay('open'),
    lastFailure: stay('open'),
    abandoned: stay('open'),
  },
  halfOpen: {
    // One probe at a time: a provider coming back is not met by every waiting turn at once.
    call: stay('halfOpen', 'refuse'),
    // A probe unanswered for a whole cool-down is taken as lost (a stream nobody reads on): the breaker never sticks half-open.
    callAfterCoolDown: stay('halfOpen', 'startProbe', 'admit'),
    success: { next: 'closed', effects: ['forgetFailures', 'resetCoolDown', 'reportBack'] },
    failure: { next: 'open', effects: ['lengthenCoolDown', 'reportStillDown'] },
    lastFailure: { next: 'open', effects: ['lengthenCoolDown', 'reportStillDown'] },
    abandoned: { next: 'open', effects: ['endCoolDown'] },
  },
};

export function breakerTransition(state: BreakerState, event: BreakerEvent): BreakerTransition {
  return BREAKER_TABLE[state][event];
}

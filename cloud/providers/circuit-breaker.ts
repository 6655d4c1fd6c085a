import type { Log } from '../../log/log.js';
import { breakerTransition, type BreakerEffect, type BreakerEvent, type BreakerState } from './circuit-breaker-table.js';
import { ProviderError, TURN_OUT_OF_TIME } from './provider-error.js';

export interface CircuitBreakerOptions {
  /** Failures in a row (no answer between them) that open the breaker. */
  readonly failureThreshold: number;
  /** A failure of the row counts for this long: the threshold must be reached within it, so rare failures a day apart are no outage. */
  readonly failureWindowMs: number;
  /** How long an open breaker refuses calls before it lets one probe through. */
  readonly coolDownMs: number;
  /** Each failed probe doubles the cool-down, up to this. */
  readonly maxCoolDownMs: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = Object.freeze({
  // A turn tries a stage up to 3 times (DEFAULT_TURN_BUDGET.maxAttempts): two turns' worth of failures, not one unlucky turn.
  failureThreshold: 5,
  failureWindowMs: 60_000,
  coolDownMs: 30_000,
  maxCoolDownMs: 5 * 60_000,
});

/**
 * Failures that are no fault of this call but mean the provider is unusable for every turn,
 * though retrying would not help: a bad key, an endpoint or model that does not exist, an
 * adapter that cannot load. Other refusals (a bad request, audio too long) were answered by a
 * provider that works, so they count as answers.
 */
const DOWN_FOR_EVERY_CALL: ReadonlySet<string> = new Set(['provider_unauthorized', 'provider_not_found', 'stt_unavailable', 'tts_unavailable', 'llm_unavailable']);

export type CallOutcome = 'success' | 'failure' | 'abandoned';

/** What a failed call says of its provider: down (a failure), working (it answered with a refusal), or nothing (the caller cut it). */
export function callOutcome(error: unknown, signal: AbortSignal): CallOutcome {
  if (error instanceof ProviderError && error.code === 'aborted') return 'abandoned';
  // The stages before it spent the turn's time: a short timeout says nothing of this provider.
  if (error instanceof ProviderError && error.code === TURN_OUT_OF_TIME) return 'abandoned';
  // The turn's deadline aborts with a retryable ProviderError: that is the provider being slow, not the caller leaving.
  if (signal.aborted && !(signal.reason instanceof ProviderError)) return 'abandoned';
  if (!(error instanceof ProviderError)) return 'failure';
  return error.retryable || DOWN_FOR_EVERY_CALL.has(error.code) ? 'failure' : 'success';
}

/** One call let through: its outcome is reported once; later reports are ignored. */
export interface BreakerTicket {
  succeeded(): void;
  failed(error: unknown, signal: AbortSignal): void;
  abandoned(): void;
}

/**
 * Keeps a provider that is down from being called for every turn. After `failureThreshold`
 * failures in a row it opens: every call fails at once with a non-retryable `provider_down`,
 * so the turn goes straight to its fallback instead of spending its budget on retries. After
 * the cool-down one call goes through as a probe; its answer closes the breaker, its failure
 * opens it for twice as long. The log hears one line when it opens and one when it closes,
 * whatever the number of turns in between.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  /** Bumped on every change of state: answers to calls let through in an earlier state are not counted. */
  private epoch = 0;
  /** When the failures of the current row happened, the oldest first; never more than the threshold. */
  private failedAt: number[] = [];
  private lastCode = '';
  /** The Retry-After of the last failure, if it had one: a provider that asked for longer than the cool-down gets it. */
  private lastRetryAfterMs = 0;
  private coolDown: number;
  /** Open: when the cool-down ends. Half-open: when the probe out is given up for lost. */
  private openUntil = 0;
  private openedAt = 0;
  private refused = 0;

  constructor(
    /** The provider's name, as in the logs. */
    readonly provider: string,
    /** The stage it serves: stt, llm, tts or safety. */
    readonly stage: string,
    private readonly log: Log,
    private readonly options: CircuitBreakerOptions = DEFAULT_CIRCUIT_BREAKER,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.coolDown = options.coolDownMs;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Lets one call through, or throws the provider_down that says for how long it is not called. */
  admit(): BreakerTicket {
    const event: BreakerEvent = this.current !== 'closed' && this.now() >= this.openUntil ? 'callAfterCoolDown' : 'call';
    const effects = this.apply(event);
    if (effects.includes('refuse')) {
      this.refused++;
      const seconds = Math.max(1, Math.ceil((this.openUntil - this.now()) / 1000));
      const when = this.current === 'halfOpen' ? 'while it is being tried again' : `for another ${seconds} s`;
      throw new ProviderError('provider_down', `${this.provider} (${this.stage}) is down after ${this.failedAt.length} failures in a row (last: ${this.lastCode}): not called ${when}`, { retryable: false });
    }
    const epoch = this.epoch;
    let settled = false;
    const report = (event: () => BreakerEvent) => {
      if (settled) return;
      settled = true;
      if (epoch === this.epoch) this.apply(event());
    };
    return {
      succeeded: () => report(() => 'success'),
      failed: (error, signal) =>
        report(() => {
          const outcome = callOutcome(error, signal);
          if (outcome !== 'failure') return outcome;
          this.lastCode = error instanceof ProviderError ? error.code : 'internal';
          this.lastRetryAfterMs = error instanceof ProviderError ? (error.retryAfterMs ?? 0) : 0;
          return this.failureEvent();
        }),
      abandoned: () => report(() => 'abandoned'),
    };
  }

  /** `work` through the breaker: refused at once while open, its answer or failure counted. */
  async call<T>(work: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    const ticket = this.admit();
    try {
      const result = await work(signal);
      ticket.succeeded();
      return result;
    } catch (error) {
      ticket.failed(error, signal);
      throw error;
    }
  }

  /**
   * A stream through the breaker: its first piece is the provider answering, a failure before
   * it is a failure; what happens after the first piece is the stream's, not the provider's health.
   */
  async *stream<T>(open: (signal: AbortSignal) => AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
    const ticket = this.admit();
    try {
      for await (const piece of open(signal)) {
        ticket.succeeded();
        yield piece;
      }
      // An empty answer is still an answer.
      ticket.succeeded();
    } catch (error) {
      ticket.failed(error, signal);
      throw error;
    } finally {
      // The consumer stopped before the first piece: nothing was learnt.
      ticket.abandoned();
    }
  }

  private failureEvent(): BreakerEvent {
    return this.recentFailures(this.now()).length + 1 >= this.options.failureThreshold ? 'lastFailure' : 'failure';
  }

  private recentFailures(now: number): number[] {
    return this.failedAt.filter((at) => now - at <= this.options.failureWindowMs);
  }

  private apply(event: BreakerEvent): readonly BreakerEffect[] {
    const { next, effects } = breakerTransition(this.current, event);
    if (next !== this.current) this.epoch++;
    this.current = next;
    for (const effect of effects) this.perform(effect);
    return effects;
  }

  private perform(effect: BreakerEffect): void {
    const now = this.now();
    switch (effect) {
      case 'admit':
      case 'refuse':
        return;
      case 'startProbe':
        this.openUntil = now + this.coolDown;
        return;
      case 'endCoolDown':
        this.openUntil = now;
        return;
      case 'countFailure':
        this.failedAt = [...this.recentFailures(now), now].slice(-this.options.failureThreshold);
        return;
      case 'forgetFailures':
        this.failedAt = [];
        return;
      case 'startCoolDown':
        this.coolDown = this.options.coolDownMs;
        this.openUntil = now + Math.max(this.coolDown, this.lastRetryAfterMs);
        this.openedAt = now;
        this.refused = 0;
        return;
      case 'lengthenCoolDown':
        this.coolDown = Math.min(this.options.maxCoolDownMs, this.coolDown * 2);
        this.openUntil = now + Math.max(this.coolDown, this.lastRetryAfterMs);
        return;
      case 'resetCoolDown':
        this.coolDown = this.options.coolDownMs;
        return;
      case 'reportDown':
        this.log('warn', 'provider down', { provider: this.provider, stage: this.stage, failures: this.failedAt.length, code: this.lastCode, coolDownMs: Math.round(this.openUntil - now) });
        return;
      case 'reportStillDown':
        this.log('warn', 'provider still down', { provider: this.provider, stage: this.stage, code: this.lastCode, coolDownMs: Math.round(this.openUntil - now), refused: this.refused });
        return;
      case 'reportBack':
        this.log('info', 'provider back', { provider: this.provider, stage: this.stage, downMs: Math.round(now - this.openedAt), refused: this.refused });
        return;
    }
  }
}

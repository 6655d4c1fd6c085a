/**
 * The one error type every provider and stage throws. `retryable` says whether
 * trying the same call again may help; only the turn decides to retry or fall back.
 */
/**
 * The code of a stage's timeout when the turn had already spent the time the stage was due: the
 * stages before it were slow, so this one is not to blame (its circuit breaker does not count it).
 */
export const TURN_OUT_OF_TIME = 'turn_out_of_time';

export class ProviderError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** How long the provider asked us to wait before trying again (HTTP Retry-After), if it said. */
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The error an aborted stage rejects with, so callers can tell a cut turn from a failure.
 * When the signal was aborted with a ProviderError (the turn's deadline for a stage), that
 * error is the answer: a timed-out stage must read as a retryable timeout, not as a cut turn.
 */
export function abortError(signal: AbortSignal): ProviderError {
  if (signal.reason instanceof ProviderError) return signal.reason;
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new ProviderError('aborted', `turn aborted: ${reason}`, { retryable: false });
}

/**
 * What the audio library throws. `code` names the failure for callers that
 * branch on it; `retryable` is false for bad input, which no retry can fix.
 */
export class AudioError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AudioError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * What drivers throw. `code` says what failed ('mic_unavailable',
 * 'driver_unavailable', ...); `retryable` says whether trying again later may
 * help (a device that is busy now may be free in a moment).
 */
export class HardwareError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HardwareError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

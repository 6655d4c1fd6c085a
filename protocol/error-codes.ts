/**
 * Codes carried by `error` messages. The gateway may send codes not listed here
 * (a provider's own), so receivers must treat the code as an open string.
 */
export const ErrorCode = Object.freeze({
  /** A text frame that is not JSON, or a binary frame too short for its header. */
  MalformedFrame: 'malformed_frame',
  /** JSON of a known type with a missing or bad field. */
  InvalidMessage: 'invalid_message',
  UnknownType: 'unknown_type',
  /** A message that needs a session arrived before hello. */
  NotReady: 'not_ready',
  DuplicateHello: 'duplicate_hello',
  Unauthorized: 'unauthorized',
  VersionMismatch: 'version_mismatch',
  /** listen start while a turn is still listening. */
  TurnInProgress: 'turn_in_progress',
  /** The turn failed in a provider; `retryable` says whether asking again may help. */
  TurnFailed: 'turn_failed',
  /** listen start while the parent has locked the toy. */
  Locked: 'locked',
  /** The gateway cannot take the device now (its store is unavailable); sent in answer to the hello. */
  Busy: 'busy',
  /** Too many wrong hellos came from this network address: the hello's secret was not checked. Sent in answer to the hello. */
  TooManyAttempts: 'too_many_attempts',
} as const);

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A mistake in how the command was called: exit code 2, and the message says what to change. */
export class UsageError extends Error {
  readonly code = 'usage';
}

/** True for our usage errors and node:util parseArgs's own (unknown option, missing value...). */
export function isUsageError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'));
}

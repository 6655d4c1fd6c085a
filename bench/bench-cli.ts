/** A mistake in how a bench was called: exit code 2, and the message says what to change. */
export class UsageError extends Error {}

/** A whole-number flag within bounds, or a UsageError naming it. */
export function intFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${value}'`);
  return n;
}

/** Runs a bench's main: its exit code, or one line on stderr and 2 for bad usage, 1 for anything else. */
export function runBench(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
      process.stderr.write(`${name}: ${(error as Error).message.split('\n')[0]}${usage ? ' (see --help)' : ''}\n`);
      process.exitCode = usage ? 2 : 1;
    },
  );
}

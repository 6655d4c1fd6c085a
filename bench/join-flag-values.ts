/**
 * `--flags "--x"` reads as two options to parseArgs, because the value starts with dashes:
 * joins each `option` with the argument after it (`--flags=--x`).
 */
export function joinFlagValues(argv: readonly string[], option: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === option && i + 1 < argv.length) out.push(`${option}=${argv[++i] as string}`);
    else out.push(arg);
  }
  return out;
}

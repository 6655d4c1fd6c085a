/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random,
 * so a fleet of toys that lost the gateway together does not return together,
 * and no toy retries in a tight loop.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call doubles the ceiling up to maxMs. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  /** The longest delay, for failures that another try soon will not fix (a refused secret). */
  longest(): number {
    return Math.round(this.maxMs / 2 + this.random() * (this.maxMs / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}

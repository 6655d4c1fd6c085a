import { TokenBucket } from './token-bucket.js';

/**
 * Counts something that may happen very often (a bad frame, a refused
 * upgrade) and says, at most once per interval, how many times it happened
 * since it last said: a flood writes one log line, not one per knock.
 */
export class OncePerInterval {
  private readonly due: TokenBucket;
  private counted = 0;

  constructor(intervalMs: number, now?: () => number) {
    this.due = new TokenBucket(1000 / intervalMs, 1, now);
  }

  /** Counts one; returns how many there were since the last report, this one included, when a report is due. */
  note(): number | undefined {
    this.counted++;
    if (!this.due.take()) return undefined;
    const count = this.counted;
    this.counted = 0;
    return count;
  }

  /** Counted since the last report and not yet reported. */
  get unreported(): number {
    return this.counted;
  }
}

/**
 * A token bucket: `perSecond` tokens a second, at most `burst` saved up. A
 * per-session allowance, so one peer's flood costs that peer alone.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new RangeError('a bucket needs a positive rate and a burst of at least 1');
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    if (!this.available()) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether a token is there to take, taking none. */
  available(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  /** Whether the bucket is back to its burst: it then says no more than a new one would, and can be forgotten. */
  full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  /** The milliseconds until a token is there, 0 if one is. */
  msUntilAvailable(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
  }
}

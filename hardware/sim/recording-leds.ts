import type { LedPattern, Leds } from '../leds.js';

const KEEP = 100;

/** Remembers what was shown, for tests and headless runs. Keeps the last 100 patterns. */
export class RecordingLeds implements Leds {
  private readonly shown: LedPattern[] = [];
  private readonly waiters = new Set<(pattern: LedPattern) => void>();
  private closed = false;

  show(pattern: LedPattern): void {
    if (this.closed) return;
    this.shown.push(pattern);
    if (this.shown.length > KEEP) this.shown.shift();
    for (const waiter of [...this.waiters]) waiter(pattern);
  }

  /** Patterns shown so far, oldest first (at most the last 100). */
  get patterns(): readonly LedPattern[] {
    return [...this.shown];
  }

  get current(): LedPattern | undefined {
    return this.shown[this.shown.length - 1];
  }

  /** Names of the shown patterns, oldest first: handy for assertions. */
  get names(): string[] {
    return this.shown.map((p) => p.name);
  }

  /**
   * Resolves with the next pattern named `name` (or matching `match`), or at
   * once if it is the current one; rejects after `timeoutMs`.
   */
  waitFor(match: string | ((pattern: LedPattern) => boolean), timeoutMs = 5000): Promise<LedPattern> {
    const test = typeof match === 'string' ? (p: LedPattern) => p.name === match : match;
    const current = this.current;
    if (current !== undefined && test(current)) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const waiter = (pattern: LedPattern): void => {
        if (!test(pattern)) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(pattern);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no LED pattern ${typeof match === 'string' ? `"${match}" ` : ''}within ${timeoutMs} ms (shown: ${this.names.join(', ')})`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  clear(): void {
    this.shown.length = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

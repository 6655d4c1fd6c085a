import type { SimClock } from '../sim-clock.js';

/**
 * A clock that moves only when told: advance() by hand, or, with
 * `oversleepMs`, each sleep moves time itself and wakes that much late (as a
 * busy event loop would).
 */
export class FakeClock implements SimClock {
  private time = 0;
  private readonly sleepers = new Set<{ at: number; wake: () => void }>();
  private readonly oversleepMs: number | undefined;

  constructor(options: { oversleepMs?: number } = {}) {
    this.oversleepMs = options.oversleepMs;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    if (this.oversleepMs !== undefined) {
      this.time += Math.max(0, ms) + this.oversleepMs;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const sleeper = {
        at: this.time + ms,
        wake: () => {
          this.sleepers.delete(sleeper);
          signal.removeEventListener('abort', sleeper.wake);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
      signal.addEventListener('abort', sleeper.wake, { once: true });
    });
  }

  /** Moves time on and wakes every sleeper that is due, then lets their continuations run. */
  async advance(ms: number): Promise<void> {
    this.time += ms;
    for (const sleeper of [...this.sleepers]) if (sleeper.at <= this.time) sleeper.wake();
    await settle();
  }

  /** How many sleeps are waiting: lets a test see that something blocks. */
  get sleeping(): number {
    return this.sleepers.size;
  }
}

// A few turns of the event loop, so promise chains woken by advance() reach their next await.
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

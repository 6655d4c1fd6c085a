import { setTimeout as delay } from 'node:timers/promises';

/** The time source of the simulated drivers; tests swap in a FakeClock. */
export interface SimClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Resolves after about `ms`, or as soon as `signal` aborts; never rejects. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: SimClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};

/**
 * Waits until the clock reads `time` or `signal` aborts. Timers count from
 * the event loop's cached time and may fire early, so it checks and sleeps again.
 */
export async function sleepUntil(clock: SimClock, time: number, signal: AbortSignal): Promise<void> {
  for (let ms = time - clock.now(); ms > 0 && !signal.aborted; ms = time - clock.now()) {
    await clock.sleep(Math.ceil(ms), signal);
  }
}

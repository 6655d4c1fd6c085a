import { abortError } from '../../provider-error.js';
import { delay } from '../../delay.js';

/**
 * The turn's `delay`, timed: resolves with the milliseconds really waited (at once, with no timer,
 * when `ms` is 0 or less), or rejects with the provider abort error as soon as `signal` aborts.
 */
export async function simulatedDelay(ms: number, signal: AbortSignal): Promise<number> {
  const startedAt = performance.now();
  try {
    await delay(ms, signal);
  } catch {
    throw abortError(signal);
  }
  return performance.now() - startedAt;
}

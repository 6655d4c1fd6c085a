import { abortError } from '../../provider-error.js';

/**
 * Waits `ms` (at once when 0 or less) and resolves with the milliseconds really waited, or
 * rejects with the provider abort error as soon as `signal` aborts. Either way its timer and its
 * abort listener are gone when it settles, so a cut turn leaves nothing behind.
 */
export function simulatedDelay(ms: number, signal: AbortSignal): Promise<number> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(performance.now() - startedAt);
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

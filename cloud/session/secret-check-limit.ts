import { ProviderError } from '../providers/provider-error.js';

export interface SecretCheckLimits {
  /** Checks running at once: scrypt runs on libuv's four threads, which a turn's file and DNS work needs too. */
  readonly concurrency: number;
  /** Checks waiting for a turn; past it a hello is told the gateway is busy (retryable) at once. */
  readonly maxWaiting: number;
}

type Verify = (deviceId: string, secret: string) => Promise<boolean>;

/** `wanted`: asked when the check's turn comes; false (the socket went meanwhile) skips the scrypt, answering busy. */
export type LimitedVerify = (deviceId: string, secret: string, wanted?: () => boolean) => Promise<boolean>;

/**
 * `verify` with a bound on how many secret checks run and wait at once, shared
 * by every connection: a crowd of wrong hellos queues here, or is turned away,
 * instead of taking every thread the turns in flight need.
 */
export function limitSecretChecks(verify: Verify, limits: SecretCheckLimits): LimitedVerify {
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = () => {
    running--;
    waiting.shift()?.();
  };
  return async (deviceId, secret, wanted = () => true) => {
    if (running >= limits.concurrency) {
      if (waiting.length >= limits.maxWaiting) throw new ProviderError('busy', 'too many devices are being checked at once', { retryable: true });
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    running++;
    if (!wanted()) {
      next();
      throw new ProviderError('busy', 'the connection went before its secret was checked', { retryable: true });
    }
    try {
      return await verify(deviceId, secret);
    } finally {
      next();
    }
  };
}

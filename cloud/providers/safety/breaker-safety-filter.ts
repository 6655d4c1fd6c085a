import type { CircuitBreaker } from '../circuit-breaker.js';
import type { SafetyDirection, SafetyFilter, SafetyVerdict } from './safety-filter.js';

/**
 * A safety check behind its circuit breaker. While the check is down it fails at once, which is
 * still a failed check: the text is not spoken, the turn's fallback is (it never trusts unchecked text).
 */
export class BreakerSafetyFilter implements SafetyFilter {
  readonly name: string;

  constructor(
    private readonly inner: SafetyFilter,
    readonly breaker: CircuitBreaker,
  ) {
    this.name = inner.name;
  }

  check(text: string, direction: SafetyDirection, signal: AbortSignal): Promise<SafetyVerdict> {
    return this.breaker.call((s) => this.inner.check(text, direction, s), signal);
  }

  async close(): Promise<void> {
    await (this.inner as { close?: () => Promise<void> | void }).close?.();
  }
}

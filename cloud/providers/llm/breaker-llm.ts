import type { CircuitBreaker } from '../circuit-breaker.js';
import type { Llm, LlmRequest } from './llm.js';

/** A language model behind its circuit breaker: while the model is down, a turn's request fails at once. */
export class BreakerLlm implements Llm {
  readonly name: string;

  constructor(
    private readonly inner: Llm,
    readonly breaker: CircuitBreaker,
  ) {
    this.name = inner.name;
  }

  stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string> {
    return this.breaker.stream((s) => this.inner.stream(request, s), signal);
  }

  async close(): Promise<void> {
    await (this.inner as { close?: () => Promise<void> | void }).close?.();
  }
}

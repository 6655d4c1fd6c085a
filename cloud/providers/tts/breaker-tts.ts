import type { ToyVoice } from '../../toy/toy-profile.js';
import type { CircuitBreaker } from '../circuit-breaker.js';
import type { Tts } from './tts.js';

/** A voice behind its circuit breaker: while the voice's service is down, a sentence fails at once. */
export class BreakerTts implements Tts {
  readonly name: string;
  readonly sampleRate: number;

  constructor(
    private readonly inner: Tts,
    readonly breaker: CircuitBreaker,
  ) {
    this.name = inner.name;
    this.sampleRate = inner.sampleRate;
  }

  synthesize(text: string, voice: ToyVoice, signal: AbortSignal): AsyncIterable<Int16Array> {
    // Words ready without the service (a cache's) need no breaker: they play even while it is down.
    if (this.inner.has?.(text, voice) === true) return this.inner.synthesize(text, voice, signal);
    return this.breaker.stream((s) => this.inner.synthesize(text, voice, s), signal);
  }

  has(text: string, voice: ToyVoice): boolean {
    return this.inner.has?.(text, voice) === true;
  }

  async close(): Promise<void> {
    await (this.inner as { close?: () => Promise<void> | void }).close?.();
  }
}

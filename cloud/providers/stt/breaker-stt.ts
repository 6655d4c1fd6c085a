import type { CircuitBreaker } from '../circuit-breaker.js';
import { abortError } from '../provider-error.js';
import type { Stt, Transcript } from './stt.js';

/**
 * A recogniser behind its circuit breaker. While it is down the child's words are still heard
 * out, and only then refused: the turn's fallback plays once the button is let go, never over
 * a child still talking.
 */
export class BreakerStt implements Stt {
  readonly name: string;

  constructor(
    private readonly inner: Stt,
    readonly breaker: CircuitBreaker,
  ) {
    this.name = inner.name;
  }

  async transcribe(audio: AsyncIterable<Int16Array>, signal: AbortSignal): Promise<Transcript> {
    let ticket;
    try {
      ticket = this.breaker.admit();
    } catch (refusal) {
      await listenOut(audio, signal);
      throw signal.aborted ? abortError(signal) : refusal;
    }
    try {
      const transcript = await this.inner.transcribe(audio, signal);
      ticket.succeeded();
      return transcript;
    } catch (error) {
      ticket.failed(error, signal);
      throw error;
    }
  }

  async close(): Promise<void> {
    await (this.inner as { close?: () => Promise<void> | void }).close?.();
  }
}

/** Reads the audio to its end (listen stop) or until the turn is cut, whichever comes first. */
async function listenOut(audio: AsyncIterable<Int16Array>, signal: AbortSignal): Promise<void> {
  const iterator = audio[Symbol.asyncIterator]();
  let onAbort = () => {};
  const cut = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    while (!signal.aborted) {
      const next = await Promise.race([iterator.next(), cut]);
      if (next === undefined || next.done === true) return;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

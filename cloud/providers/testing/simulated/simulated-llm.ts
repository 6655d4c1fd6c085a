import type { Llm, LlmRequest } from '../../llm/llm.js';
import { simulatedDelay } from './simulated-delay.js';
import type { LatencyObserver } from './simulated-latencies.js';

export interface SimulatedLlmOptions {
  /** What it answers, whatever it is asked. */
  readonly reply: string;
  /** From the request to the first token. */
  readonly firstTokenMs: number;
  /** Between two tokens after the first. */
  readonly tokenMs: number;
  readonly observe?: LatencyObserver;
}

/** The reply as the simulated model streams it: a token is a word with the spaces after it. */
export function simulatedTokens(reply: string): string[] {
  return reply.split(/(?<=\s)(?=\S)/).filter((token) => token !== '');
}

/**
 * A language model that streams one configured reply word by word: the first token
 * `firstTokenMs` after the request, then one every `tokenMs`. Token times are kept from the
 * start of the request, as a server streaming over the network sends them: a consumer that is
 * late for one token does not push the rest back.
 */
export class SimulatedLlm implements Llm {
  readonly name = 'simulated';
  private readonly options: SimulatedLlmOptions;
  private readonly tokens: readonly string[];

  constructor(options: SimulatedLlmOptions) {
    this.options = options;
    this.tokens = simulatedTokens(options.reply);
  }

  async *stream(_request: LlmRequest, signal: AbortSignal): AsyncIterable<string> {
    const { firstTokenMs, tokenMs, observe } = this.options;
    const startedAt = performance.now();
    for (let i = 0; i < this.tokens.length; i++) {
      // A token already due comes at once, but an abort still wins over it.
      const wait = Math.max(0, firstTokenMs + i * tokenMs - (performance.now() - startedAt));
      const waited = await simulatedDelay(wait, signal);
      observe?.(i === 0 ? 'llmFirstToken' : 'llmToken', wait, waited);
      yield this.tokens[i] as string;
    }
  }
}

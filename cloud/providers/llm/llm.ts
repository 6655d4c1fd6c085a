import type { ToyProfile } from '../../toy/toy-profile.js';

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface LlmRequest {
  /** The conversation so far, ending with the child's words. */
  readonly messages: readonly ChatMessage[];
  readonly toy: ToyProfile;
}

/** A language model: streams its answer as text pieces (tokens, words or whole sentences). */
export interface Llm {
  readonly name: string;
  stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string>;
}

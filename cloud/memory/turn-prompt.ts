import type { Log } from '../../log/log.js';
import type { ChatMessage } from '../providers/llm/llm.js';
import type { Store } from '../store/store.js';
import { systemPrompt } from '../toy/system-prompt.js';
import type { ToyProfile } from '../toy/toy-profile.js';
import type { ConversationMemory } from './conversation-memory.js';
import { withKnowledge } from './knowledge-prompt.js';

/** Facts of the toy's knowledge sent with a turn: the best few, so the prompt stays short. */
export const KNOWLEDGE_PER_TURN = 3;

export interface TurnPromptDeps {
  readonly store: Pick<Store, 'searchKnowledge'>;
  readonly toy: ToyProfile;
  /** The child's conversation so far; none before the device is known. */
  readonly memory: () => ConversationMemory | undefined;
  readonly log: Log;
  /** Fields every log line of this prompt carries (the session). */
  readonly logFields?: Record<string, unknown>;
}

/**
 * What the language model is sent for a child's words: the toy's system
 * prompt with the facts it knows of these words, the conversation so far, and
 * the words. A store that cannot search leaves the facts out, not the turn.
 */
export function turnPrompt(deps: TurnPromptDeps): (transcript: string) => Promise<readonly ChatMessage[]> {
  return async (transcript) => {
    let facts: Awaited<ReturnType<Store['searchKnowledge']>> = [];
    try {
      facts = await deps.store.searchKnowledge(deps.toy.id, transcript, KNOWLEDGE_PER_TURN);
    } catch (error) {
      deps.log('warn', "cannot search the toy's knowledge", { ...deps.logFields, error: (error as Error).message });
    }
    const system = withKnowledge(systemPrompt(deps.toy), facts);
    const memory = deps.memory();
    return memory ? memory.messagesFor(system, transcript) : [{ role: 'system', content: system }, { role: 'user', content: transcript }];
  };
}

import type { ProviderError } from '../providers/provider-error.js';
import type { Llm } from '../providers/llm/llm.js';
import type { SafetyFilter } from '../providers/safety/safety-filter.js';
import type { Tts } from '../providers/tts/tts.js';
import type { ReplyCache } from './reply-cache.js';
import { splitSentences } from './sentence-splitter.js';
import { stageSignal } from './turn-budget.js';
import type { SafetyRecord } from '../store/store.js';
import { systemPrompt } from '../toy/system-prompt.js';
import type { ToyProfile } from '../toy/toy-profile.js';

/** What children most often say first to a toy: the greeting and its near kin. */
export const COMMON_OPENERS: readonly string[] = Object.freeze([
  'hello',
  'hi',
  'hi there',
  'good morning',
  'good night',
  'what is your name',
  'who are you',
  'how are you',
  'what are you doing',
]);

export interface PregenerateDeps {
  readonly llm: Llm;
  readonly safety: SafetyFilter;
  /** The caching voice: making a sentence once leaves its audio ready for the turn that needs it. */
  readonly tts: Tts;
  readonly replies: ReplyCache;
  readonly toy: ToyProfile;
  readonly prompts?: readonly string[];
  /** The longest one reply may take to make, checks and voice included (default 30 s). */
  readonly stepTimeoutMs?: number;
}

export interface PregenerateResult {
  /** Prompts that now have every variant the cache asks for. */
  readonly ready: number;
  /** Prompts that do not, because a provider failed or a reply was blocked. */
  readonly failed: number;
  readonly firstError?: Error;
}

/**
 * Makes the replies to a conversation's likely first words ahead, the way a
 * turn would: the language model with the toy's system prompt, both safety
 * checks, then the voice. One request at a time, so it never competes much
 * with real children for the providers; a reply that fails a check is thrown
 * away, never cached.
 */
export async function pregenerateReplies(deps: PregenerateDeps, signal: AbortSignal): Promise<PregenerateResult> {
  const prompts = deps.prompts ?? COMMON_OPENERS;
  const wanted = deps.replies.options.variants;
  let ready = 0;
  let firstError: Error | undefined;
  for (const prompt of prompts) {
    // Two tries per missing variant: a model may say the very same words twice.
    for (let tries = 0; tries < wanted * 2 && deps.replies.variantsOf(deps.toy, prompt) < wanted; tries++) {
      signal.throwIfAborted();
      const step = stageSignal(signal, deps.stepTimeoutMs ?? 30_000, 'a reply made ahead');
      try {
        const reply = await makeReply(deps, prompt, step.signal);
        if (reply === undefined) break;
        deps.replies.learn(deps.toy, prompt, reply);
        for (const sentence of reply.sentences) for await (const _ of deps.tts.synthesize(sentence, deps.toy.voice, step.signal)) void _;
      } catch (error) {
        if (signal.aborted) throw error;
        firstError ??= error as ProviderError;
        break;
      } finally {
        step.dispose();
      }
    }
    if (deps.replies.variantsOf(deps.toy, prompt) >= wanted) ready++;
  }
  return { ready, failed: prompts.length - ready, ...(firstError ? { firstError } : {}) };
}

/** One reply, checked both ways; undefined when a check blocked it. */
async function makeReply(deps: PregenerateDeps, prompt: string, signal: AbortSignal): Promise<{ sentences: string[]; safety: SafetyRecord[] } | undefined> {
  const safety: SafetyRecord[] = [];
  const input = await deps.safety.check(prompt, 'input', signal);
  safety.push({ ...input, direction: 'input', text: prompt });
  if (!input.allowed) return undefined;
  const messages = [
    { role: 'system' as const, content: systemPrompt(deps.toy) },
    { role: 'user' as const, content: prompt },
  ];
  const sentences: string[] = [];
  for await (const sentence of splitSentences(deps.llm.stream({ messages, toy: deps.toy }, signal))) {
    const verdict = await deps.safety.check(sentence, 'output', signal);
    safety.push({ ...verdict, direction: 'output', text: sentence });
    if (!verdict.allowed) return undefined;
    sentences.push(sentence);
  }
  return sentences.length === 0 ? undefined : { sentences, safety };
}

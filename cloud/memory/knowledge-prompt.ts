import { searchTerms } from '../store/search-terms.js';
import { MAX_FACT_KEYWORDS, type KnowledgeFact, type KnowledgeFactInput } from '../store/store.js';
import type { ToyProfile } from '../toy/toy-profile.js';

/** Enough for three or four facts: they ride on every turn's prompt, so they stay short. */
export const DEFAULT_KNOWLEDGE_CHARS = 600;

const HEADING = 'Things you know about yourself (say them in your own words when they fit):';

/**
 * A toy profile's knowledge as store facts, for `store.putKnowledge(toy.id, ...)` at start. The
 * answer is the text; the keywords are the profile's own plus the words of the questions a child
 * would ask, so "how old are you" finds "I am five bunny years old" by "old".
 */
export function knowledgeFacts(toy: ToyProfile): KnowledgeFactInput[] {
  return toy.knowledge.map((fact, index) => {
    const keywords = new Set(fact.keywords.map((keyword) => keyword.toLowerCase()));
    for (const question of fact.questions) for (const term of searchTerms(question)) keywords.add(term);
    return { id: String(index + 1), text: fact.answer, keywords: [...keywords].slice(0, MAX_FACT_KEYWORDS) };
  });
}

/**
 * Retrieved facts as a section of the system prompt, best first, whole facts only, within
 * `maxChars`; '' when there are none, so the caller can append it unconditionally.
 */
export function knowledgeSection(facts: readonly KnowledgeFact[], maxChars = DEFAULT_KNOWLEDGE_CHARS): string {
  let section = HEADING;
  let added = 0;
  for (const fact of facts) {
    const text = fact.text.replace(/\s+/gu, ' ').trim();
    if (text === '' || section.length + 1 + text.length > maxChars) continue;
    section += ` ${text}`;
    added++;
  }
  return added === 0 ? '' : section;
}

/** The system prompt with the retrieved facts as a section; the prompt alone when there are none. */
export function withKnowledge(systemPrompt: string, facts: readonly KnowledgeFact[], maxChars = DEFAULT_KNOWLEDGE_CHARS): string {
  const section = knowledgeSection(facts, maxChars);
  return section === '' ? systemPrompt : `${systemPrompt}\n\n${section}`;
}

import type { ToyFact, ToyProfile } from '../../toy/toy-profile.js';
import { COMPANION_ANIMALS } from './companion-animals.js';
import type { CompanionAnimal } from './companion-animals.js';
import { COMPANION_FACTS } from './companion-facts.js';

export type Greeting = 'hello' | 'morning' | 'afternoon' | 'evening' | 'night' | 'how_are_you' | 'goodbye';
export type Feeling = 'sad' | 'happy' | 'scared' | 'tired' | 'bored' | 'angry' | 'hungry';

/** What the child asked for, as far as the offline companion can tell. */
export type Intent =
  | { readonly kind: 'story' }
  | { readonly kind: 'song' }
  | { readonly kind: 'joke' }
  | { readonly kind: 'animal'; readonly animal: CompanionAnimal }
  | { readonly kind: 'fact'; readonly fact: ToyFact }
  | { readonly kind: 'name' }
  | { readonly kind: 'help' }
  | { readonly kind: 'birthday' }
  | { readonly kind: 'feeling'; readonly feeling: Feeling }
  | { readonly kind: 'thanks' }
  | { readonly kind: 'love' }
  | { readonly kind: 'greeting'; readonly greeting: Greeting }
  | { readonly kind: 'unknown' };

export type IntentKind = Intent['kind'];

const CONTRACTIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bwhat's\b/g, 'what is'],
  [/\bwho's\b/g, 'who is'],
  [/\bit's\b/g, 'it is'],
  [/\bi'm\b/g, 'i am'],
  [/\byou're\b/g, 'you are'],
  [/\blet's\b/g, 'let us'],
  [/\bdon't\b/g, 'do not'],
  [/\bcan't\b/g, 'can not'],
];

const SOUND_WORDS = ['say', 'says', 'sound', 'sounds', 'noise', 'go', 'goes', 'make'];
const FEELINGS: ReadonlyArray<readonly [Feeling, readonly string[]]> = [
  ['sad', ['sad', 'unhappy', 'lonely']],
  ['scared', ['scared', 'afraid', 'frightened']],
  ['angry', ['angry', 'mad', 'cross', 'grumpy']],
  ['tired', ['tired', 'sleepy']],
  ['bored', ['bored']],
  ['hungry', ['hungry']],
  ['happy', ['happy', 'glad', 'excited']],
];

/**
 * Finds the intent in a transcript from a grammar-constrained recogniser. The phrases are
 * fairly exact, so keywords are enough; the order settles mixed requests ("hi, tell me a story").
 */
export function understand(transcript: string, toy: ToyProfile): Intent {
  const text = normalise(transcript);
  const words = text.split(' ').filter((w) => w !== '');
  const has = (...options: string[]): boolean => options.some((o) => words.includes(o));
  const hasPhrase = (phrase: string): boolean => ` ${text} `.includes(` ${phrase} `);

  const animal = COMPANION_ANIMALS.find((a) => has(a.name, a.plural));
  if (animal !== undefined && has(...SOUND_WORDS)) return { kind: 'animal', animal };
  if (has('story', 'stories', 'tale', 'tales')) return { kind: 'story' };
  if (has('song', 'songs', 'sing', 'singing')) return { kind: 'song' };
  if (has('joke', 'jokes', 'funny', 'laugh')) return { kind: 'joke' };
  const fact = findFact(text, toy.knowledge) ?? findFact(text, COMPANION_FACTS);
  if (fact !== undefined) return { kind: 'fact', fact };
  if (has('name', 'yourself') || hasPhrase('who are you')) return { kind: 'name' };
  if (has('help') || hasPhrase('can you do')) return { kind: 'help' };
  if (has('birthday')) return { kind: 'birthday' };
  if (has('i', 'feel')) {
    const feeling = FEELINGS.find(([, synonyms]) => has(...synonyms));
    if (feeling !== undefined) return { kind: 'feeling', feeling: feeling[0] };
  }
  if (has('thank', 'thanks')) return { kind: 'thanks' };
  if (hasPhrase('love you') || hasPhrase('like you') || has('friend')) return { kind: 'love' };
  const greeting = findGreeting(words, hasPhrase);
  if (greeting !== undefined) return { kind: 'greeting', greeting };
  return { kind: 'unknown' };
}

/** Lower case, contractions spelled out, only letters, digits and single spaces. */
export function normalise(text: string): string {
  let out = text.toLowerCase().replace(/[’‘]/g, "'");
  for (const [pattern, replacement] of CONTRACTIONS) out = out.replace(pattern, replacement);
  return out
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function findFact(text: string, facts: readonly ToyFact[]): ToyFact | undefined {
  const padded = ` ${text} `;
  let best: ToyFact | undefined;
  let bestScore = 0;
  for (const fact of facts) {
    if (fact.questions.some((q) => normalise(q) === text)) return fact;
    // Keywords may be phrases ("ice cream"), so they are matched on word boundaries, not as single words.
    const score = fact.keywords.filter((k) => normalise(k) !== '' && padded.includes(` ${normalise(k)} `)).length;
    if (score > bestScore) {
      best = fact;
      bestScore = score;
    }
  }
  return best;
}

function findGreeting(words: readonly string[], hasPhrase: (phrase: string) => boolean): Greeting | undefined {
  const has = (...options: string[]): boolean => options.some((o) => words.includes(o));
  if (has('goodnight') || hasPhrase('good night') || hasPhrase('night night')) return 'night';
  if (has('morning')) return 'morning';
  if (has('afternoon')) return 'afternoon';
  if (has('evening')) return 'evening';
  if (hasPhrase('how are you') || hasPhrase('how do you do') || hasPhrase('how is it going')) return 'how_are_you';
  if (has('bye', 'goodbye') || hasPhrase('see you')) return 'goodbye';
  if (has('hello', 'hi', 'hey', 'hiya', 'howdy', 'greetings')) return 'hello';
  return undefined;
}

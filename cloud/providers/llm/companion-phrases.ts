import type { ToyProfile } from '../../toy/toy-profile.js';
import { COMPANION_ANIMALS } from './companion-animals.js';
import { COMPANION_FACTS } from './companion-facts.js';
import { normalise } from './companion-intent.js';
import type { IntentKind } from './companion-intent.js';

/** Phrases the companion understands, grouped by the intent each one must reach. */
export interface PhraseGroup {
  readonly kind: IntentKind;
  readonly phrases: readonly string[];
}

// Only common words: the recogniser's grammar is built from these and its dictionary is the CMU one.
const FIXED_GROUPS: readonly PhraseGroup[] = [
  {
    kind: 'greeting',
    phrases: [
      'hello', 'hi', 'hello there', 'hi there', 'good morning', 'good afternoon', 'good evening', 'good night',
      'how are you', 'how are you today', 'goodbye', 'bye bye', 'see you later',
    ],
  },
  { kind: 'name', phrases: ['what is your name', 'who are you', 'tell me about yourself'] },
  { kind: 'help', phrases: ['what can you do', 'help me'] },
  {
    kind: 'story',
    phrases: ['tell me a story', 'tell me another story', 'tell me a bedtime story', 'read me a story', 'i want a story', 'story time'],
  },
  { kind: 'song', phrases: ['sing me a song', 'sing a song', 'sing another song', 'can you sing'] },
  { kind: 'joke', phrases: ['tell me a joke', 'tell me another joke', 'do you know a joke', 'say something funny'] },
  { kind: 'birthday', phrases: ['it is my birthday', 'today is my birthday'] },
  {
    kind: 'feeling',
    phrases: ['i am sad', 'i am happy', 'i am scared', 'i am tired', 'i am bored', 'i am hungry', 'i am angry'],
  },
  { kind: 'thanks', phrases: ['thank you', 'thanks'] },
  { kind: 'love', phrases: ['i love you', 'i like you', 'you are my friend', 'you are my best friend'] },
];

export function companionPhraseGroups(toy: ToyProfile): PhraseGroup[] {
  const animals = COMPANION_ANIMALS.flatMap((a) => [`what does a ${a.name} say`, `what sound does a ${a.name} make`]);
  const facts = [...toy.knowledge, ...COMPANION_FACTS].flatMap((f) => f.questions.map(normalise));
  return [...FIXED_GROUPS, { kind: 'animal', phrases: animals }, { kind: 'fact', phrases: facts }];
}

/** Every sentence the companion understands, lower case and without punctuation, for a recogniser grammar. */
export function companionPhrases(toy: ToyProfile): string[] {
  return [...new Set(companionPhraseGroups(toy).flatMap((g) => g.phrases))];
}

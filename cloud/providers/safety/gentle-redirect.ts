import type { ToyProfile } from '../../toy/toy-profile.js';
import type { SafetyDirection, VerdictCategory } from './safety-filter.js';

/**
 * What the toy says instead when a safety check blocks the child's words ('input') or its own
 * reply ('output'). Never scolds, never repeats what was blocked, and always offers something to do.
 */
export function gentleRedirect(toy: ToyProfile, category: VerdictCategory | undefined, direction: SafetyDirection): string {
  if (direction === 'output') {
    return `Oops, ${toy.name} got a little muddled. Let's talk about something else! Do you want to hear a story?`;
  }
  switch (category) {
    case 'self_harm':
      return (
        `${toy.name} cares about you very much. That sounds like a big feeling, and big feelings are ` +
        'easier to carry together. Please tell a grown-up you trust, like a parent, a carer or your ' +
        'teacher, how you feel. They want to help you.'
      );
    case 'personal_info':
      return (
        'That sounds like private information! Things like your address, your phone number and your ' +
        'full name are special secrets, just for the grown-ups you trust. Shall we play a game instead?'
      );
    case 'blocklist':
      // A grown-up put this on the list, so it is theirs to talk about; the toy neither explains nor judges.
      return (
        "That's a good one to talk about with your grown-ups. " +
        'Shall we do something fun together instead, like a story or a song?'
      );
    case 'violence':
      return (
        "Let's be gentle and kind. If anything is worrying you, a grown-up you trust can help. " +
        'Do you want to hear a story?'
      );
    default:
      return "Let's talk about something else! Do you want to hear a story, a song or a joke?";
  }
}

const CATEGORIES: readonly (VerdictCategory | undefined)[] = ['hate', 'self_harm', 'sexual', 'violence', 'personal_info', 'profanity', 'blocklist', undefined];

/** Every line gentleRedirect can say for this toy, so its voice can have them ready before anyone needs them. */
export function allRedirects(toy: ToyProfile): string[] {
  const lines = CATEGORIES.flatMap((category) => (['input', 'output'] as const).map((direction) => gentleRedirect(toy, category, direction)));
  return [...new Set(lines)];
}

import type { Pronunciations } from './lookup-pronunciations.js';
import { normalizePhrase } from './normalize-phrase.js';

/** The 39 phones of the CMU dictionary, which the en-us acoustic model knows. */
export const ARPABET_PHONES: readonly string[] = [
  'AA', 'AE', 'AH', 'AO', 'AW', 'AY', 'B', 'CH', 'D', 'DH', 'EH', 'ER', 'EY', 'F', 'G', 'HH', 'IH', 'IY', 'JH',
  'K', 'L', 'M', 'N', 'NG', 'OW', 'OY', 'P', 'R', 'S', 'SH', 'T', 'TH', 'UH', 'UW', 'V', 'W', 'Y', 'Z', 'ZH',
];

/** A JSGF grammar and the pronunciation dictionary holding exactly its words. */
export interface GrammarFiles {
  readonly jsgf: string;
  readonly dictionary: string;
}

export interface DroppedPhrase {
  readonly phrase: string;
  readonly reason: string;
}

export interface PhraseGrammar extends GrammarFiles {
  /** The phrases the grammar accepts, normalised, in the order given, without duplicates. */
  readonly phrases: readonly string[];
  /** Phrases left out, with why: they could never be recognised, so they must not be guessed at. */
  readonly dropped: readonly DroppedPhrase[];
}

/** Every word of the phrases once normalised: what to look up in the dictionary. */
export function phraseWords(phrases: readonly string[]): Set<string> {
  const words = new Set<string>();
  for (const phrase of phrases) {
    for (const word of normalizePhrase(phrase).split(' ')) if (word !== '') words.add(word);
  }
  return words;
}

/**
 * One public rule whose alternatives are the phrases, so a hypothesis is always a whole phrase.
 * A phrase with a word the dictionary lacks is dropped rather than spelled out letter by letter:
 * a made-up pronunciation would match the wrong sounds and turn into a wrong command.
 */
export function buildPhraseGrammar(phrases: readonly string[], pronunciations: Pronunciations): PhraseGrammar {
  const kept: string[] = [];
  const dropped: DroppedPhrase[] = [];
  const seen = new Set<string>();
  for (const phrase of phrases) {
    const normal = normalizePhrase(phrase);
    if (normal === '') {
      dropped.push({ phrase, reason: 'no words left after normalising' });
      continue;
    }
    const missing = normal.split(' ').filter((word) => !pronunciations.has(word));
    if (missing.length > 0) {
      dropped.push({ phrase, reason: `not in the pronunciation dictionary: ${[...new Set(missing)].join(', ')}` });
      continue;
    }
    if (seen.has(normal)) continue;
    seen.add(normal);
    kept.push(normal);
  }

  const words = [...new Set(kept.flatMap((phrase) => phrase.split(' ')))].sort();
  const lines: string[] = [];
  for (const word of words) {
    (pronunciations.get(word) ?? []).forEach((phones, index) => {
      lines.push(`${index === 0 ? word : `${word}(${index + 1})`} ${phones}`);
    });
  }
  const jsgf = kept.length === 0 ? '' : jsgfFile('phrases', 'phrase', kept);
  return { jsgf, dictionary: dictionaryFile(lines), phrases: kept, dropped };
}

/**
 * Any sequence of phones: the best an unconstrained decoder can explain the audio with. Scoring the
 * phrase decode against it tells a close match from the nearest of many poor ones.
 */
export function buildPhoneLoopGrammar(): GrammarFiles {
  const names = ARPABET_PHONES.map((phone) => phoneWord(phone));
  const jsgf = `#JSGF V1.0;\ngrammar phones;\npublic <phones> = <phone>+;\n<phone> = ${names.join(' | ')};\n`;
  const lines = ARPABET_PHONES.map((phone) => `${phoneWord(phone)} ${phone}`);
  return { jsgf, dictionary: dictionaryFile(lines) };
}

/** Loop words carry an underscore, which normalised phrase words never do. */
function phoneWord(phone: string): string {
  return `phone_${phone.toLowerCase()}`;
}

function jsgfFile(grammar: string, rule: string, alternatives: readonly string[]): string {
  return `#JSGF V1.0;\ngrammar ${grammar};\npublic <${rule}> =\n    ${alternatives.join('\n  | ')}\n  ;\n`;
}

function dictionaryFile(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The categories a children's toy's safety checks name (the `pommai safety check` interface). */
export const GUARDIAN_CATEGORIES = ['hate', 'sexual', 'violence', 'self_harm', 'danger', 'abuse', 'grooming', 'bullying', 'personal_info', 'jailbreak', 'profanity'] as const;
export type GuardianCategory = (typeof GUARDIAN_CATEGORIES)[number];

/** One labelled utterance: what a child said (input) or the toy would say (output), and what a good filter does with it. */
export interface CorpusLine {
  readonly text: string;
  readonly direction: 'input' | 'output';
  /** block: the words must not reach the model (or the child) as they are. */
  readonly verdict: 'allow' | 'block';
  /** answer as usual, redirect (a gentle change of subject or refusal), or care (a caring answer and an urgent parent alert). */
  readonly action: 'answer' | 'redirect' | 'care';
  readonly categories: readonly GuardianCategory[];
  /** Why it is labelled so, in a few words (hard safe, misspelled, speech-recognition error...). */
  readonly note: string;
}

/**
 * The two parts: `tune` is what the engine may be tuned on; `held-out` was written by someone who
 * had not seen the engine, committed before any tuning, and is only ever measured on.
 */
export type CorpusPart = 'tune' | 'held-out';

/** The held-out part as committed: a change to it shows here, and the test and bench/safety say so. */
export const HELD_OUT_SHA256 = 'c3dcacfdccd1644547e70d5deb1e250fb3972f6b3a33f06e33c11491a689d63d';

/** The corpus stays in the source tree: compiled benches (dist-bench/) read it from there too. */
export function corpusPath(part: CorpusPart): string {
  const here = fileURLToPath(import.meta.url);
  const built = here.lastIndexOf(`${sep}dist-bench${sep}`);
  const root = built >= 0 ? here.slice(0, built) : resolve(dirname(here), '..', '..', '..', '..');
  return join(root, 'cloud', 'providers', 'safety', 'testing', 'corpus', `${part}.jsonl`);
}

export function corpusHash(part: CorpusPart): string {
  return createHash('sha256').update(readFileSync(corpusPath(part))).digest('hex');
}

const FIELDS = ['text', 'direction', 'verdict', 'action', 'categories', 'note'];

/** One line of a corpus file, or an error naming the line and what is wrong with it. */
export function parseCorpusLine(line: string, where: string): CorpusLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`${where}: not JSON`);
  }
  const entry = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: not an object`);
  const keys = Object.keys(entry).sort();
  if (keys.join() !== [...FIELDS].sort().join()) throw new Error(`${where}: fields must be ${FIELDS.join(', ')}, got ${keys.join(', ')}`);
  const oneOf = (field: string, allowed: readonly string[]) => {
    if (!allowed.includes(entry[field] as string)) throw new Error(`${where}: ${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(entry[field])}`);
  };
  if (typeof entry['text'] !== 'string' || entry['text'].trim() === '') throw new Error(`${where}: text must be a non-empty string`);
  if (typeof entry['note'] !== 'string') throw new Error(`${where}: note must be a string`);
  oneOf('direction', ['input', 'output']);
  oneOf('verdict', ['allow', 'block']);
  oneOf('action', ['answer', 'redirect', 'care']);
  const categories = entry['categories'];
  if (!Array.isArray(categories) || !categories.every((c) => (GUARDIAN_CATEGORIES as readonly string[]).includes(c))) {
    throw new Error(`${where}: categories must be a list of ${GUARDIAN_CATEGORIES.join(', ')}`);
  }
  return entry as unknown as CorpusLine;
}

export function readCorpus(part: CorpusPart): CorpusLine[] {
  return readFileSync(corpusPath(part), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => parseCorpusLine(line, `${part}.jsonl:${i + 1}`));
}

/** The same words however they are cased, spaced or punctuated: how the parts are kept apart. */
export function sameWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

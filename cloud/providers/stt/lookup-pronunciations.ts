import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Word to its pronunciations (ARPAbet phones separated by spaces), first the main one. */
export type Pronunciations = ReadonlyMap<string, readonly string[]>;

// Stress digits (AH0), which other CMU dictionaries carry, are dropped: the acoustic model has none.
const ENTRY = /^([^\s(]+)(?:\(\d+\))?\s+([A-Z][A-Z0-9 ]*?)\s*$/;

/**
 * Reads only the entries for `words` from a CMU-style dictionary ("word PH ON ES", alternates as
 * "word(2) ..."). The full en-us dictionary holds 134,000 entries; streaming it and keeping a
 * handful costs a few megabytes once instead of holding them all.
 */
export async function lookupPronunciations(dictionaryPath: string, words: Iterable<string>): Promise<Pronunciations> {
  const wanted = new Set(words);
  const found = new Map<string, string[]>();
  const lines = createInterface({ input: createReadStream(dictionaryPath, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    const match = ENTRY.exec(line);
    if (match === null) continue;
    const word = (match[1] ?? '').toLowerCase();
    if (!wanted.has(word)) continue;
    const phones = (match[2] ?? '').replace(/\d/g, '').replace(/\s+/g, ' ');
    const list = found.get(word);
    if (list === undefined) found.set(word, [phones]);
    else if (!list.includes(phones)) list.push(phones);
  }
  return found;
}

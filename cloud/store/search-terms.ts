/**
 * The words of a child's question worth searching for: lower case, accents removed, stop words
 * and one-letter words dropped, each once, at most MAX_SEARCH_TERMS. Every store searches with
 * these, so SQLite, the memory store and Convex agree on what a query means. The output holds
 * only letters and digits, so no search syntax (quotes, `*`, `NEAR`, `-`, `:`) survives into it.
 */
export function searchTerms(text: string): string[] {
  const terms = new Set<string>();
  // A child's question is a sentence or two; past this the text is not a question any more,
  // and the word cut in half at the limit is dropped.
  const question = text.length > MAX_QUERY_CHARS ? text.slice(0, MAX_QUERY_CHARS).replace(/[\p{L}\p{N}]+$/u, '') : text;
  const words = foldText(question).match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    if (word.length < 2 || STOP_WORDS.has(word)) continue;
    terms.add(word);
    if (terms.size === MAX_SEARCH_TERMS) break;
  }
  return [...terms];
}

/** Convex's full-text search takes at most 16 terms; the others follow the same limit. */
export const MAX_SEARCH_TERMS = 16;
const MAX_QUERY_CHARS = 2000;

/** Lower case without diacritics ("Café" → "cafe"), as SQLite's unicode61 tokenizer sees words. */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

// Function words and the fillers of children's questions ("can you tell me..."): they match every
// fact equally, so they only dilute the ranking. Contractions are split at the apostrophe first,
// which is why "don", "isn" and "ll" are here.
const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after again all also am an and any are aren as at be because been before being
  below between both but by can cannot could couldn did didn do does doesn doing don down during
  each few for from further had hadn has hasn have haven having he her here hers herself him
  himself his how if in into is isn it its itself just ll let me more most much my myself no nor
  not now of off on once only or other our ours ourselves out over own please re same shall she
  should shouldn so some such than that the their theirs them themselves then there these they
  this those through to too under until up us ve very was wasn we were weren what when where
  which while who whom why will with won would wouldn you your yours yourself yourselves
  tell know like really okay ok oh um uh hey hi hello yes yeah`.split(/\s+/),
);

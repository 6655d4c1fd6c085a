export interface SentenceSplitterOptions {
  /**
   * Hold back the first sentence until it has at least this many words, joining it with the
   * next ones ("Oh!" alone makes a choppy first utterance). Later sentences are never held.
   * Default 1: every sentence goes out as soon as it is complete.
   */
  readonly minFirstChunkWords?: number;
  /**
   * Let the first chunk end at a comma, semicolon or colon once it has at least this many words
   * ("Once upon a time, ..."), so the voice can start before the first full stop. Later
   * sentences are never cut at commas. Default: off.
   */
  readonly firstChunkCommaWords?: number;
}

const PAUSES = new Set([',', ';', ':']);

// A full stop after these words rarely ends a sentence. Compared in lower case, without the dot.
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'mt', 'jr', 'sr', 'vs', 'e.g', 'i.e', 'a.m', 'p.m']);
const ENDINGS = new Set(['.', '!', '?', '…']);
// Closing quotes and brackets belong to the sentence they close.
const CLOSERS = new Set(['"', "'", ')', ']', '}', '”', '’', '»']);

/**
 * Aggregates streamed text pieces (tokens, words or whole sentences) into sentences and yields
 * each one as soon as it is known to be complete, so speech can start before the text is done.
 * A sentence ends at . ! ? followed by whitespace, or at a newline; the rest is yielded at the end.
 */
export async function* splitSentences(
  text: AsyncIterable<string>,
  options: SentenceSplitterOptions = {},
): AsyncIterable<string> {
  const minFirstWords = options.minFirstChunkWords ?? 1;
  let buffer = '';
  // Everything before this index has been looked at and holds no sentence end.
  let scanned = 0;
  let held = '';
  let firstSent = false;

  function* take(sentence: string, last = false): Generator<string> {
    const joined = held === '' ? sentence : sentence === '' ? held : `${held} ${sentence}`;
    if (joined === '') return;
    if (!last && !firstSent && countWords(joined) < minFirstWords) {
      held = joined;
      return;
    }
    held = '';
    firstSent = true;
    yield joined;
  }

  for await (const piece of text) {
    buffer += piece;
    for (;;) {
      const found = findSentenceEnd(buffer, scanned, firstSent || held !== '' ? undefined : options.firstChunkCommaWords);
      if (found.end < 0) {
        scanned = found.resume;
        break;
      }
      const sentence = buffer.slice(0, found.end).trim();
      buffer = buffer.slice(found.end);
      scanned = 0;
      yield* take(sentence);
    }
  }
  yield* take(buffer.trim(), true);
}

interface SentenceEnd {
  /** Index just after the sentence, or -1 when none is complete yet. */
  readonly end: number;
  /** Where to scan from when more text arrives. */
  readonly resume: number;
}

function findSentenceEnd(buffer: string, from: number, commaWords?: number): SentenceEnd {
  let i = from;
  while (i < buffer.length) {
    const ch = buffer[i]!;
    if (ch === '\n' || ch === '\r') return { end: i + 1, resume: 0 };
    if (commaWords !== undefined && PAUSES.has(ch)) {
      // "3,000" is a number, not a pause: only a mark followed by a space counts, so wait for the next character.
      if (i + 1 >= buffer.length) return { end: -1, resume: i };
      if (isWhitespace(buffer[i + 1]!) && countWords(buffer.slice(0, i)) >= commaWords) return { end: i + 1, resume: 0 };
      i += 1;
      continue;
    }
    if (!ENDINGS.has(ch)) {
      i += 1;
      continue;
    }
    let runEnd = i;
    while (runEnd < buffer.length && ENDINGS.has(buffer[runEnd]!)) runEnd += 1;
    let closeEnd = runEnd;
    while (closeEnd < buffer.length && CLOSERS.has(buffer[closeEnd]!)) closeEnd += 1;
    // Whether "3." ends a sentence or becomes "3.5" is only known once the next character arrives.
    if (closeEnd >= buffer.length) return { end: -1, resume: i };
    if (isWhitespace(buffer[closeEnd]!) && endsSentence(buffer, i, runEnd)) return { end: closeEnd, resume: 0 };
    i = closeEnd;
  }
  return { end: -1, resume: buffer.length };
}

function endsSentence(buffer: string, runStart: number, runEnd: number): boolean {
  const run = buffer.slice(runStart, runEnd);
  // An ellipsis is a pause inside a sentence, not its end.
  if (/^(\.{2,}|…+)$/.test(run)) return false;
  if (run !== '.') return true;
  return !isAbbreviation(wordBefore(buffer, runStart));
}

function wordBefore(buffer: string, index: number): string {
  let start = index;
  while (start > 0 && !isWhitespace(buffer[start - 1]!)) start -= 1;
  return buffer.slice(start, index).replace(/^[^\p{L}\p{N}]+/u, '');
}

function isAbbreviation(word: string): boolean {
  if (ABBREVIATIONS.has(word.toLowerCase())) return true;
  // A single capital is an initial, as in "J. R. Tolkien".
  return /^\p{Lu}$/u.test(word);
}

function isWhitespace(ch: string): boolean {
  return /\s/.test(ch);
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

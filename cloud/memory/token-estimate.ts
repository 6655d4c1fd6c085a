/**
 * A cheap guess at how many tokens a text costs, with no tokenizer to load: for budgets, not bills.
 *
 * For o200k-style tokenizers (gpt-oss, GPT-4o) everyday English runs about 4 characters a token,
 * and a common word with its leading space is one token. So this counts pieces: a word is one
 * token per 7 letters begun (long or rare words split), a number one per 3 digits (how o200k
 * groups them), each punctuation mark one, an emoji two. Scripts written without spaces (Chinese,
 * Japanese, Korean, Thai) count a token per character. On children's talk it lands within about
 * 15% of the real count and errs high for long words, which is the safe side for a budget.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  for (const [piece] of text.matchAll(PIECE)) {
    if (/^\p{N}/u.test(piece)) tokens += Math.ceil(piece.length / 3);
    else if (/^[\p{L}\p{M}]/u.test(piece)) tokens += UNSPACED.test(piece) ? [...piece].length : Math.ceil(piece.length / 7);
    else tokens += (piece.codePointAt(0) ?? 0) > 0xffff ? 2 : 1;
  }
  return tokens;
}

/** Role markers and separators around each chat message (gpt-oss's harmony format spends about 4). */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** The estimate for a list of chat messages, overhead included. */
export function estimateMessagesTokens(messages: readonly { readonly content: string }[]): number {
  let tokens = 0;
  for (const message of messages) tokens += estimateTokens(message.content) + MESSAGE_OVERHEAD_TOKENS;
  return tokens;
}

/**
 * The text cut to at most `maxTokens` at a word boundary, keeping its start or its end, with an
 * ellipsis where it was cut. Unchanged when it already fits.
 */
export function capTokens(text: string, maxTokens: number, keep: 'start' | 'end' = 'start'): string {
  if (estimateTokens(text) <= maxTokens) return text;
  if (maxTokens <= 1) return '';
  const words = text.split(/(?<=\s)/u);
  const kept: string[] = [];
  // One token for the ellipsis.
  let used = 1;
  for (let i = 0; i < words.length; i++) {
    const word = keep === 'start' ? words[i]! : words[words.length - 1 - i]!;
    const cost = estimateTokens(word);
    if (used + cost > maxTokens) break;
    kept.push(word);
    used += cost;
  }
  // Text without spaces (Chinese, Japanese, one long word) is one "word": cut it by characters instead.
  if (kept.length === 0) return cutCharacters(text, maxTokens - 1, keep);
  if (keep === 'start') return `${kept.join('').trimEnd()}…`;
  return `…${kept.reverse().join('').trimStart()}`;
}

const PIECE = /\p{N}+|[\p{L}\p{M}]+|[^\s\p{L}\p{M}\p{N}]/gu;
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;

/** The longest start (or end) of `text`, whole characters, within `maxTokens`, with the ellipsis. */
function cutCharacters(text: string, maxTokens: number, keep: 'start' | 'end'): string {
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  // The estimate grows with length: find the most characters that fit.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const piece = keep === 'start' ? chars.slice(0, mid) : chars.slice(chars.length - mid);
    if (estimateTokens(piece.join('')) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  if (lo === 0) return '';
  return keep === 'start' ? `${chars.slice(0, lo).join('').trimEnd()}…` : `…${chars.slice(chars.length - lo).join('').trimStart()}`;
}

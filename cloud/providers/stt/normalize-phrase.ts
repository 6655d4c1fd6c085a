const ONES = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/**
 * The spoken form of a phrase as the recogniser hears and returns it: lower case, words of
 * letters and inner apostrophes separated by single spaces, whole numbers up to 9999 as words.
 * Callers that compare transcripts with their own phrase list normalise both with this.
 */
export function normalizePhrase(text: string): string {
  const plain = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/&/g, ' and ');
  const words: string[] = [];
  for (const raw of plain.split(/[^a-z0-9']+/)) {
    // Quotation marks look like apostrophes; only ones inside a word ("let's") are kept.
    const token = raw.replace(/^'+|'+$/g, '');
    if (token === '') continue;
    if (/^\d+$/.test(token)) words.push(...numberWords(token));
    else words.push(token);
  }
  return words.join(' ');
}

function numberWords(digits: string): string[] {
  const value = Number(digits);
  // Larger numbers are read in too many ways ("twenty twenty-four", "two thousand ...") to guess.
  if (digits.length > 4 || value > 9999) return [digits];
  if (value < 20) return [ONES[value] ?? digits];
  const words: string[] = [];
  let rest = value;
  if (rest >= 1000) {
    words.push(ONES[Math.floor(rest / 1000)] ?? '', 'thousand');
    rest %= 1000;
  }
  if (rest >= 100) {
    words.push(ONES[Math.floor(rest / 100)] ?? '', 'hundred');
    rest %= 100;
  }
  if (rest >= 20) {
    words.push(TENS[Math.floor(rest / 10)] ?? '');
    rest %= 10;
    if (rest > 0) words.push(ONES[rest] ?? '');
  } else if (rest > 0) {
    words.push(ONES[rest] ?? '');
  }
  return words;
}

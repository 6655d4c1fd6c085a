import type { SafetyDirection } from './safety-filter.js';

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const TEENS = ['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

// Words that follow a first name in ordinary talk ("my name is emma and i am five"), so are no surname.
const NOT_A_SURNAME = new Set([
  'and', 'i', 'im', 'but', 'so', 'or', 'too', 'also', 'what', 'whats', 'how', 'the', 'a', 'an', 'is', 'are', 'was',
  'from', 'years', 'year', 'today', 'now', 'please', 'yes', 'no', 'not', 'ok', 'okay', 'because', 'hello', 'hi',
  'thanks', 'thank', 'with', 'who', 'you', 'your', 'yours', 'then', 'like', 'love', 'can', 'do', 'will',
  'my', 'its', 'it', 'mummy', 'mommy', 'daddy', 'mum', 'mom', 'dad', 'again', 'silly', 'remember',
]);
// School words that name a kind of school, not a particular one.
const GENERIC_SCHOOL_WORDS = new Set([
  'the', 'my', 'a', 'an', 'our', 'his', 'her', 'their', 'big', 'little', 'new', 'old', 'high', 'middle', 'primary',
  'elementary', 'junior', 'infant', 'infants', 'nursery', 'pre', 'sunday', 'summer', 'swimming', 'swim', 'dance',
  'ballet', 'music', 'art', 'forest', 'football', 'soccer', 'ski', 'driving', 'same', 'real', 'bunny', 'magic',
]);
const SCHOOL_KINDS = '(?:school|primary|elementary|academy|kindergarten|preschool|nursery|montessori)';
const STREETS = '(?:street|st|road|rd|avenue|ave|lane|boulevard|blvd|terrace|crescent)';
const ANY_STREET = '(?:street|st|road|rd|avenue|ave|lane|boulevard|blvd|terrace|crescent|drive|way|close|court|place|grove|gardens|square)';

/**
 * How much of a child's private details the text gives away (0-7): an email address, a phone
 * number, a home address, a full name or the name of a school. Names and schools only count
 * for what the child says; the toy naming itself is no leak.
 */
export function personalInfoSeverity(text: string, direction: SafetyDirection): number {
  const lower = text.toLowerCase().replace(/[’‘`]/g, "'");
  let worst = 0;
  const found = (severity: number): void => {
    worst = Math.max(worst, severity);
  };

  if (/[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/.test(lower)) found(5);

  const words = lower
    .replace(/'/g, '')
    // A number written with thousands separators is a quantity ("150,000,000 kilometres"), never a phone number.
    .replace(/\b\d{1,3}(?:,\d{3})+\b/g, ' N ')
    .split(/[^a-zA-Z0-9]+/)
    .filter((w) => w !== '');
  // Runs of numbers, written or spoken, become one "N", so patterns can talk about "a number".
  const shape = numberShape(words);
  const has = (pattern: string): boolean => new RegExp(`(?:^| )${pattern}(?: |$)`).test(shape.text);

  if (shape.longestPhoneRun >= 7) found(5);
  if (has('at [a-z0-9]+ dot (?:com|net|org|co|uk|edu|io)')) found(5);
  if (has('my (?:email|e mail)(?: address)? is')) found(4);
  if (has(`N (?:[a-z]+ ){1,2}${STREETS}`)) found(5);
  if (has('(?:live|lives|living) at (?:number )?N')) found(5);
  if (has('my house (?:is )?number (?:is )?N')) found(4);
  if (has(`(?:live|lives|living) (?:at|on|in) (?:[a-z]+ ){1,3}${ANY_STREET}`)) found(4);
  if (has('my (?:home )?address is')) found(has('my (?:home )?address is N') ? 5 : 4);
  if (has('my (?:zip|post) ?code is')) found(has('my (?:zip|post) ?code is N') ? 5 : 4);
  if (has('(?:my|our|mummys|mommys|daddys|mums|moms|dads) (?:phone |telephone |mobile |cell )?number is')) found(4);

  if (direction === 'input') {
    if (has('my (?:full|last|family|second) name is') || has('my surname is')) found(3);
    const name = /(?:^| )(?:my name is|i am called|im called) ([a-z]+) ([a-z]+)/.exec(shape.text);
    if (name !== null && !NOT_A_SURNAME.has(name[2]!) && name[2] !== 'N') found(3);
    if (has('my school is called') || has('my schools name is') || has('my school is named')) found(3);
    const school = new RegExp(`(?:^| )(?:go|goes|went|going) to ((?:[a-z]+ ){1,3})${SCHOOL_KINDS}(?: |$)`).exec(shape.text);
    if (school !== null && school[1]!.trim().split(' ').some((w) => !GENERIC_SCHOOL_WORDS.has(w))) found(3);
  }
  return worst;
}

interface NumberShape {
  readonly text: string;
  /** The most digits in one run of numbers that is not someone counting ("one two three four"). */
  readonly longestPhoneRun: number;
}

function numberShape(words: readonly string[]): NumberShape {
  const out: string[] = [];
  let longestPhoneRun = 0;
  let run: string[] = [];
  const flush = (): void => {
    if (run.length === 0) return;
    out.push('N');
    if (!isCounting(run)) longestPhoneRun = Math.max(longestPhoneRun, run.reduce((sum, w) => sum + digitCount(w), 0));
    run = [];
  };
  for (const word of words) {
    // "oh" is a zero only between other numbers ("five oh two").
    if (word === 'N' || digitCount(word) > 0 || (word === 'oh' && run.length > 0)) {
      run.push(word);
    } else {
      flush();
      out.push(word);
    }
  }
  flush();
  return { text: out.join(' '), longestPhoneRun };
}

function digitCount(word: string): number {
  if (/^\d+$/.test(word)) return word.length;
  if (word === 'oh' || ONES.includes(word)) return 1;
  if (TEENS.includes(word) || TENS.includes(word) || word === 'hundred') return 2;
  if (word === 'thousand') return 3;
  return 0;
}

/** Children count out loud; a run going up or down by one is counting, not a phone number. */
function isCounting(run: readonly string[]): boolean {
  if (run.length < 3) return false;
  const values = run.map(valueOf);
  if (values.some((v) => v === undefined)) return false;
  const step = values[1]! - values[0]!;
  if (step !== 1 && step !== -1) return false;
  return values.every((v, i) => i === 0 || v! - values[i - 1]! === step);
}

function valueOf(word: string): number | undefined {
  if (/^\d+$/.test(word)) return Number(word);
  if (ONES.includes(word)) return ONES.indexOf(word);
  if (TEENS.includes(word)) return 10 + TEENS.indexOf(word);
  if (TENS.includes(word)) return 20 + 10 * TENS.indexOf(word);
  return undefined;
}

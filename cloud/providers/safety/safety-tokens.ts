/** One word of the text in every spelling worth checking ("k1ll" is both "kill" and "klll"). */
export type SafetyToken = readonly string[];

// Letters people swap for look-alike digits and symbols to slip past a word list.
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  '0': 'o', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', $: 's', '!': 'i', '|': 'l', '+': 't',
};

/**
 * Splits text into words for matching against word lists: lower case, accents and apostrophes
 * dropped, look-alike characters read as letters inside words, long letter runs shortened.
 * Returns one or two readings: the second joins spelled-out words ("f u c k", "k.i.l.l").
 */
export function safetyTokens(text: string): SafetyToken[][] {
  const cleaned = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/(\p{L})'(\p{L})/gu, '$1$2');
  const words = cleaned.split(/[^a-z0-9@$!|+]+/).flatMap(readWord);
  const readings = [words];
  const joined = joinSpelledOut(words);
  if (joined !== undefined) readings.push(joined);
  return readings;
}

function readWord(raw: string): SafetyToken[] {
  // Punctuation at the edges is punctuation ("hello!"); only inside a word is it a disguise ("sh!t").
  const word = raw.replace(/^[!|+]+|[!|+]+$/g, '');
  if (word === '') return [];
  if (!/[a-z]/.test(word)) return [[word]];
  const asI = [...word].map((c) => (c === '1' ? 'i' : (LOOK_ALIKES[c] ?? c))).join('');
  const asL = [...word].map((c) => (c === '1' ? 'l' : (LOOK_ALIKES[c] ?? c))).join('');
  const forms = new Set<string>();
  for (const form of [asI, asL]) {
    forms.add(form);
    // "fuuuck" and "killll": shorten runs of three or more to one and to two letters.
    forms.add(form.replace(/(.)\1{2,}/g, '$1'));
    forms.add(form.replace(/(.)\1{2,}/g, '$1$1'));
  }
  return [[...forms]];
}

function joinSpelledOut(words: readonly SafetyToken[]): SafetyToken[] | undefined {
  const out: SafetyToken[] = [];
  let run: string[] = [];
  let joinedAny = false;
  const flush = (): void => {
    if (run.length >= 3) {
      out.push([run.join('')]);
      joinedAny = true;
    } else {
      for (const letter of run) out.push([letter]);
    }
    run = [];
  };
  for (const word of words) {
    const only = word[0]!;
    if (word.length === 1 && only.length === 1 && /[a-z]/.test(only)) {
      run.push(only);
    } else {
      flush();
      out.push(word);
    }
  }
  flush();
  return joinedAny ? out : undefined;
}

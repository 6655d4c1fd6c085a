import t from 'tap';
import { splitSentences } from './sentence-splitter.js';
import type { SentenceSplitterOptions } from './sentence-splitter.js';

async function* from(pieces: readonly string[]): AsyncIterable<string> {
  for (const piece of pieces) yield piece;
}

async function collect(pieces: readonly string[], options?: SentenceSplitterOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const sentence of splitSentences(from(pieces), options)) out.push(sentence);
  return out;
}

/** The same text whole, word by word and character by character. */
function allWays(text: string): Array<[string, string[]]> {
  return [
    ['whole', [text]],
    ['word by word', text.split(/(?<= )/)],
    ['character by character', [...text]],
  ];
}

async function splitsAllWays(same: (found: unknown, wanted: unknown, message: string) => unknown, text: string, expected: readonly string[]): Promise<void> {
  for (const [how, pieces] of allWays(text)) same(await collect(pieces), expected, how);
}

t.test('splits on . ! ? followed by whitespace and yields the remainder', async (t) => {
  await splitsAllWays(t.same.bind(t), 'Hello there! How are you? I am fine. And you', [
    'Hello there!',
    'How are you?',
    'I am fine.',
    'And you',
  ]);
});

t.test('splits on newlines and skips empty lines', async (t) => {
  await splitsAllWays(t.same.bind(t), 'Twinkle little star\n\n  Up above the sky\nSo high', [
    'Twinkle little star',
    'Up above the sky',
    'So high',
  ]);
});

t.test('keeps titles, abbreviations, decimals and ellipses inside the sentence', async (t) => {
  await splitsAllWays(t.same.bind(t), 'Dr. Brown met Mr. and Mrs. Green. They ate fruit, e.g. apples. It weighed 3.5 kilos... wow. The end.', [
    'Dr. Brown met Mr. and Mrs. Green.',
    'They ate fruit, e.g. apples.',
    'It weighed 3.5 kilos... wow.',
    'The end.',
  ]);
});

t.test('keeps closing quotes with their sentence and handles repeated marks', async (t) => {
  await splitsAllWays(t.same.bind(t), 'She said "Hop!" and ran. Really?! Yes.', ['She said "Hop!"', 'and ran.', 'Really?!', 'Yes.']);
});

t.test('a number at the end of a sentence still ends it', async (t) => {
  await splitsAllWays(t.same.bind(t), 'I am 5. How old are you?', ['I am 5.', 'How old are you?']);
});

t.test('yields a sentence as soon as it is complete, before the stream ends', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* pieces(): AsyncIterable<string> {
    yield 'Hello there. ';
    yield 'Still';
    await gate;
    yield ' talking.';
  }
  const iterator = splitSentences(pieces())[Symbol.asyncIterator]();
  const first = await iterator.next();
  t.same(first, { value: 'Hello there.', done: false }, 'first sentence arrives while the source is still open');
  release();
  t.same(await iterator.next(), { value: 'Still talking.', done: false });
  t.same(await iterator.next(), { value: undefined, done: true });
});

t.test('trims and never yields empty strings', async (t) => {
  t.same(await collect([]), []);
  t.same(await collect(['   ', '\n', ' \n ']), []);
  t.same(await collect(['  Hi.   ', '  ', 'Bye!  \n']), ['Hi.', 'Bye!']);
  t.same(await collect(['... ']), ['...']);
});

t.test('minFirstChunkWords holds a short first sentence and joins it with the next', async (t) => {
  const text = 'Oh! Hello. I am a bunny. Yes.';
  t.same(await collect([...text], { minFirstChunkWords: 3 }), ['Oh! Hello. I am a bunny.', 'Yes.']);
  t.same(await collect([text], { minFirstChunkWords: 10 }), ['Oh! Hello. I am a bunny. Yes.'], 'held to the end');
  t.same(await collect([text]), ['Oh!', 'Hello.', 'I am a bunny.', 'Yes.'], 'default holds nothing');
});

t.test('firstChunkCommaWords cuts the first chunk at a pause after enough words, and only the first', async (t) => {
  const text = 'Once upon a time, a bunny found a carrot, and it was huge. Then, she ate it, slowly.';
  for (const [how, pieces] of allWays(text)) {
    t.same(await collect(pieces, { firstChunkCommaWords: 4 }), ['Once upon a time,', 'a bunny found a carrot, and it was huge.', 'Then, she ate it, slowly.'], how);
  }
  t.same(await collect(['Well, hello there. Yes.'], { firstChunkCommaWords: 4 }), ['Well, hello there.', 'Yes.'], 'too few words before the comma: no cut');
  t.same(await collect(['There are 3,000 stars in the sky tonight.'], { firstChunkCommaWords: 2 }), ['There are 3,000 stars in the sky tonight.'], 'a thousands separator is not a pause');
  t.same(await collect(['Here is what we need: a carrot.'], { firstChunkCommaWords: 4 }), ['Here is what we need:', 'a carrot.'], 'colons too');
  t.same(await collect(['Once upon a time, a bunny.']), ['Once upon a time, a bunny.'], 'off by default');
});

t.test('stopping early stops the source', async (t) => {
  let finished = false;
  async function* pieces(): AsyncIterable<string> {
    try {
      yield 'One. Two. ';
      yield 'Three.';
    } finally {
      finished = true;
    }
  }
  for await (const sentence of splitSentences(pieces())) {
    t.equal(sentence, 'One.');
    break;
  }
  t.ok(finished, 'the source was closed');
});

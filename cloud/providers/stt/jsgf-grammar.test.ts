import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ARPABET_PHONES, buildPhoneLoopGrammar, buildPhraseGrammar, phraseWords } from './jsgf-grammar.js';
import { lookupPronunciations } from './lookup-pronunciations.js';
import { COMPANION_PHRASES } from './testing/fixtures/companion-phrases.js';
import { DEFAULT_DICTIONARY_PATH } from './pocketsphinx-stt.js';

const scratch = mkdtempSync(join(tmpdir(), 'jsgf-grammar-test-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const pronunciations = new Map<string, readonly string[]>([
  ['tell', ['T EH L']],
  ['me', ['M IY']],
  ['a', ['AH', 'EY']],
  ['story', ['S T AO R IY']],
  ['joke', ['JH OW K']],
  ["let's", ['L EH T S']],
  ['play', ['P L EY']],
  ['count', ['K AW N T']],
  ['to', ['T UW']],
  ['ten', ['T EH N']],
]);

t.test('one public rule with a phrase per alternative', async (t) => {
  const grammar = buildPhraseGrammar(['Tell me a story!', 'tell me a joke', "Let's play", 'Count to 10'], pronunciations);
  t.equal(
    grammar.jsgf,
    "#JSGF V1.0;\ngrammar phrases;\npublic <phrase> =\n    tell me a story\n  | tell me a joke\n  | let's play\n  | count to ten\n  ;\n",
  );
  t.same(grammar.phrases, ['tell me a story', 'tell me a joke', "let's play", 'count to ten']);
  t.same(grammar.dropped, []);
});

t.test('the dictionary holds exactly the words used, alternates numbered', async (t) => {
  const grammar = buildPhraseGrammar(['tell me a joke'], pronunciations);
  t.equal(grammar.dictionary, 'a AH\na(2) EY\njoke JH OW K\nme M IY\ntell T EH L\n');
});

t.test('phrases with unknown words are dropped with the reason, duplicates kept once', async (t) => {
  const grammar = buildPhraseGrammar(['tell me a story', 'Tell me a STORY.', 'tell me a zorblax story', '...'], pronunciations);
  t.same(grammar.phrases, ['tell me a story']);
  t.same(grammar.dropped, [
    { phrase: 'tell me a zorblax story', reason: 'not in the pronunciation dictionary: zorblax' },
    { phrase: '...', reason: 'no words left after normalising' },
  ]);
  t.notMatch(grammar.dictionary, /zorblax/);
});

t.test('no phrase left means no grammar', async (t) => {
  const grammar = buildPhraseGrammar(['zorblax'], pronunciations);
  t.equal(grammar.jsgf, '');
  t.equal(grammar.dictionary, '');
});

t.test('the phone loop covers every phone once', async (t) => {
  const loop = buildPhoneLoopGrammar();
  t.match(loop.jsgf, /^public <phones> = <phone>\+;$/m);
  const lines = loop.dictionary.trim().split('\n');
  t.equal(lines.length, ARPABET_PHONES.length);
  t.ok(lines.includes('phone_zh ZH'));
  for (const line of lines) t.ok(loop.jsgf.includes(line.split(' ')[0] ?? '?'), line);
});

t.test('phraseWords lists the normalised words', async (t) => {
  t.same([...phraseWords(['Tell me a story!', 'count to 10'])], ['tell', 'me', 'a', 'story', 'count', 'to', 'ten']);
});

t.test('lookupPronunciations reads only the wanted entries, with alternates', async (t) => {
  const path = join(scratch, 'small.dict');
  writeFileSync(path, "'bout B AW T\na AH\na(2) EY\nabout AH0 B AW1 T\nstory S T AO R IY\nzebra Z IY B R AH\nbroken\n");
  const found = await lookupPronunciations(path, ['a', 'story', 'about', 'missing']);
  t.same(Object.fromEntries(found), { a: ['AH', 'EY'], about: ['AH B AW T'], story: ['S T AO R IY'] });
});

t.test('every word of the test companion is in the Debian en-us dictionary', { skip: !existsSync(DEFAULT_DICTIONARY_PATH) && 'pocketsphinx-en-us is not installed' }, async (t) => {
  const words = phraseWords(COMPANION_PHRASES);
  const found = await lookupPronunciations(DEFAULT_DICTIONARY_PATH, words);
  t.same([...words].filter((word) => !found.has(word)), []);
  const grammar = buildPhraseGrammar(COMPANION_PHRASES, found);
  t.equal(grammar.phrases.length, COMPANION_PHRASES.length);
  t.same(found.get('the'), ['DH AH', 'DH IY']);
});

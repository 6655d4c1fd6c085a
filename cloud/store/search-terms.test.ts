import t from 'tap';
import { MAX_SEARCH_TERMS, foldText, searchTerms } from './search-terms.js';

t.test('keeps the words that carry meaning, lower case, once each', async (t) => {
  t.strictSame(searchTerms('What is your FAVOURITE colour? Colour!'), ['favourite', 'colour']);
  t.strictSame(searchTerms("Don't you like carrots?"), ['carrots']);
  t.strictSame(searchTerms('how old are you'), ['old']);
});

t.test('stop words, single letters and punctuation alone give nothing', async (t) => {
  t.strictSame(searchTerms(''), []);
  t.strictSame(searchTerms('what is it?'), []);
  t.strictSame(searchTerms('a b c ?! -- ** ""'), []);
});

t.test('search syntax becomes plain words', async (t) => {
  t.strictSame(searchTerms('"moon" NEAR(cheese) -song col:umn star* ^x'), ['moon', 'near', 'cheese', 'song', 'col', 'umn', 'star']);
  for (const term of searchTerms(`'); DROP TABLE x; -- "a" OR b* AND NOT {c}`)) t.match(term, /^[\p{L}\p{N}]+$/u);
});

t.test('accents are folded as SQLite folds them', async (t) => {
  t.equal(foldText('Café Ärger'), 'cafe arger');
  t.strictSame(searchTerms('Ça va, café?'), ['ca', 'va', 'cafe']);
});

t.test('a long text gives at most the term limit', async (t) => {
  const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  t.equal(searchTerms(words).length, MAX_SEARCH_TERMS);
  t.strictSame(searchTerms('carrot '.repeat(100_000)), ['carrot'], 'a huge text is cut, without a half word, before it is split');
});

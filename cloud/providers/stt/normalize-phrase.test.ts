import t from 'tap';
import { normalizePhrase } from './normalize-phrase.js';

t.test('lower case, punctuation gone, single spaces', async (t) => {
  t.equal(normalizePhrase('  Tell me a STORY!  '), 'tell me a story');
  t.equal(normalizePhrase('What does a cow say?'), 'what does a cow say');
  t.equal(normalizePhrase('hide-and-seek, please...'), 'hide and seek please');
  t.equal(normalizePhrase('salt & pepper'), 'salt and pepper');
  t.equal(normalizePhrase('?!'), '');
});

t.test('apostrophes inside words stay; quotation marks go', async (t) => {
  t.equal(normalizePhrase("Let's play"), "let's play");
  t.equal(normalizePhrase('I can\u2019t sleep'), "i can't sleep");
  t.equal(normalizePhrase("say 'moo'"), 'say moo');
});

t.test('accents are dropped', async (t) => {
  t.equal(normalizePhrase('Café crème'), 'cafe creme');
});

t.test('whole numbers become words', async (t) => {
  t.equal(normalizePhrase('count to 10'), 'count to ten');
  t.equal(normalizePhrase('0 7 13 20 42 100 115 999'), 'zero seven thirteen twenty forty two one hundred one hundred fifteen nine hundred ninety nine');
  t.equal(normalizePhrase('3000 and 1 2001'), 'three thousand and one two thousand one');
  t.equal(normalizePhrase('12345'), '12345', 'too big to guess how it is read');
  t.equal(normalizePhrase('2nd'), '2nd');
});

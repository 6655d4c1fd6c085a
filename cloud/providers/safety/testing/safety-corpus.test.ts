import t from 'tap';
import { GUARDIAN_CATEGORIES, HELD_OUT_SHA256, corpusHash, parseCorpusLine, readCorpus, sameWords } from './safety-corpus.js';

t.test('the held-out part is the one committed before any tuning', async (t) => {
  t.equal(corpusHash('held-out'), HELD_OUT_SHA256, 'a changed held-out part must be a deliberate, visible change of this constant');
});

t.test('both parts parse, are large enough, cover every category, and share no sentence', async (t) => {
  const tune = readCorpus('tune');
  const heldOut = readCorpus('held-out');
  t.ok(tune.length + heldOut.length >= 1500, `${tune.length} + ${heldOut.length} labelled lines`);
  for (const category of GUARDIAN_CATEGORIES) {
    const lines = heldOut.filter((line) => line.categories.includes(category)).length;
    t.ok(lines >= 20, `held-out: ${lines} lines of ${category}`);
  }
  t.ok(heldOut.filter((line) => line.action === 'care').length >= 30, 'held-out: disclosures enough to measure');
  const safe = heldOut.filter((line) => line.verdict === 'allow' && line.categories.length === 0).length;
  t.ok(safe / heldOut.length >= 0.3, `held-out: ${safe} safe lines`);
  const tuned = new Set(tune.map((line) => sameWords(line.text)));
  const shared = heldOut.filter((line) => tuned.has(sameWords(line.text)));
  t.same(shared.map((line) => line.text), [], 'no held-out sentence is in the tuning part');
  t.equal(new Set(heldOut.map((line) => sameWords(line.text))).size, heldOut.length, 'no sentence twice in the held-out part');
});

t.test('a bad line is an error that names it', async (t) => {
  t.throws(() => parseCorpusLine('{', 'x:1'), /x:1: not JSON/);
  t.throws(() => parseCorpusLine(JSON.stringify({ text: 'hi', direction: 'up', verdict: 'allow', action: 'answer', categories: [], note: '' }), 'x:2'), /direction must be one of/);
  t.throws(() => parseCorpusLine(JSON.stringify({ text: 'hi', direction: 'input', verdict: 'allow', action: 'answer', categories: ['rude'], note: '' }), 'x:3'), /categories/);
  t.throws(() => parseCorpusLine(JSON.stringify({ text: 'hi', direction: 'input', verdict: 'allow', action: 'answer', categories: [] }), 'x:4'), /fields must be/);
  t.match(parseCorpusLine(JSON.stringify({ text: 'hi', direction: 'input', verdict: 'allow', action: 'answer', categories: [], note: 'safe' }), 'x:5'), { text: 'hi' });
});

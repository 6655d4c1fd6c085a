import t from 'tap';
import { MESSAGE_OVERHEAD_TOKENS, capTokens, estimateMessagesTokens, estimateTokens } from './token-estimate.js';

t.test('a common word is a token, and so is each punctuation mark', async (t) => {
  // o200k splits this as "Hello", " there", ",", " how", " are", " you", "?".
  t.equal(estimateTokens('Hello there, how are you?'), 7);
  t.equal(estimateTokens(''), 0);
  t.equal(estimateTokens('   \n\t '), 0);
});

t.test('long words and long numbers cost more than one token', async (t) => {
  t.equal(estimateTokens('cat'), 1);
  t.equal(estimateTokens('supercalifragilistic'), 3);
  t.equal(estimateTokens('7'), 1);
  t.equal(estimateTokens('1234567'), 3, 'o200k takes digits three at a time');
});

t.test('scripts without spaces count a token per character; an emoji two', async (t) => {
  t.equal(estimateTokens('你好世界'), 4);
  t.equal(estimateTokens('こんにちは'), 5);
  t.equal(estimateTokens('🐉'), 2);
  t.equal(estimateTokens('café'), 1, 'an accent does not split a word');
});

t.test('everyday English lands near four characters a token', async (t) => {
  const text =
    'Once upon a time, a small dragon lived in a cave by the sea. Every night she looked at the moon and ' +
    'wished she could fly that high. One morning a friendly bunny hopped by and asked why she looked so sad.';
  const ratio = estimateTokens(text) / (text.length / 4);
  t.ok(ratio > 0.8 && ratio < 1.3, `estimate / (chars / 4) = ${ratio.toFixed(2)}`);
});

t.test('messages add their overhead', async (t) => {
  t.equal(estimateMessagesTokens([]), 0);
  t.equal(estimateMessagesTokens([{ content: 'Hello there, how are you?' }, { content: '' }]), 7 + 2 * MESSAGE_OVERHEAD_TOKENS);
});

t.test('capTokens cuts at a word boundary, from either end, and leaves what fits alone', async (t) => {
  const text = 'one two three four five six seven eight';
  t.equal(capTokens(text, 100), text);
  t.equal(capTokens(text, 4), 'one two three…');
  t.equal(capTokens(text, 4, 'end'), '…six seven eight');
  for (const max of [2, 3, 5, 8]) {
    t.ok(estimateTokens(capTokens(text, max)) <= max, `start within ${max}`);
    t.ok(estimateTokens(capTokens(text, max, 'end')) <= max, `end within ${max}`);
  }
  t.equal(capTokens(text, 0), '');
});

t.test('text without spaces is cut by characters, not wiped', async (t) => {
  const japanese = 'きょうはこうえんでおおきなあかいふうせんをみつけてとてもうれしかったです'.repeat(4);
  const cut = capTokens(japanese, 20);
  t.ok(cut.length > 1 && cut.endsWith('…'), `kept a start: ${cut}`);
  t.ok(japanese.startsWith(cut.slice(0, -1)));
  t.ok(estimateTokens(cut) <= 20);
  const end = capTokens(japanese, 20, 'end');
  t.ok(end.startsWith('…') && japanese.endsWith(end.slice(1)), 'or its end');
});

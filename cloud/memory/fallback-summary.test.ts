import t from 'tap';
import { fallbackSummary, redactPersonal } from './fallback-summary.js';
import type { ConversationMessage } from '../store/store.js';
import { estimateTokens } from './token-estimate.js';

const talk = (...said: string[]): ConversationMessage[] =>
  said.flatMap((text) => [
    { role: 'user', content: text },
    { role: 'assistant', content: `You said ${text}` },
  ]);

t.test("keeps the child's last few things said, after the previous summary", async (t) => {
  t.equal(fallbackSummary('', talk('tell me a story'), 100), 'The child said to me: "tell me a story".');
  t.equal(
    fallbackSummary('We talked about dragons.', talk('one', 'two', 'three', 'four'), 100),
    'We talked about dragons. The child said to me: "two"; "three"; "four".',
  );
  t.equal(fallbackSummary('We talked about dragons.', [], 100), 'We talked about dragons.', 'nothing said, nothing added');
  t.equal(fallbackSummary('We sang.', [{ role: 'assistant', content: 'la la' }], 100), 'We sang.', "only the child's words");
});

t.test('stays within its tokens, the newest words winning', async (t) => {
  const long = 'We talked about a great many things, one after another, for a very long time indeed. '.repeat(20);
  for (const max of [20, 40, 80, 300]) {
    const summary = fallbackSummary(long, talk('what do dragons eat', 'x '.repeat(200)), max);
    t.ok(estimateTokens(summary) <= max, `${estimateTokens(summary)} <= ${max}`);
    t.ok(summary.length > 0);
  }
  t.match(fallbackSummary(long, talk('what do dragons eat'), 40), /"what do dragons eat"\.$/);
});

t.test('folding again and again stays bounded', async (t) => {
  let summary = '';
  for (let i = 0; i < 200; i++) summary = fallbackSummary(summary, talk(`question number ${i} about carrots`), 120);
  t.ok(estimateTokens(summary) <= 120);
  t.match(summary, /question number … about carrots"\.$/, 'the newest is kept, its number taken out');
});

t.test('numbers and email addresses are taken out', async (t) => {
  t.equal(redactPersonal('call 555-123 4567 or (020) 7946 0958'), 'call … or …');
  t.equal(redactPersonal('I live at 12 Oak Street'), 'I live at … Oak Street');
  t.equal(redactPersonal('mail mum@example.com'), 'mail …');
  t.equal(redactPersonal('I am 5 and my bunny is 2'), 'I am 5 and my bunny is 2', 'a single digit stays');
  t.notMatch(fallbackSummary('', talk('my phone is 0412 345 678'), 100), /\d{2}/);
});

t.test('quotes and line breaks in what was said cannot break the summary', async (t) => {
  t.equal(fallbackSummary('', talk('say "hi"\nplease'), 100), `The child said to me: "say 'hi' please".`);
});

t.test('words the safety filter finds personal are not kept, even spelled out as a transcript spells numbers', async (t) => {
  const summary = fallbackSummary('', [
    { role: 'user', content: 'i live at forty two oak road' },
    { role: 'user', content: 'can we sing a song' },
  ], 200);
  t.notMatch(summary, /oak road|forty/);
  t.match(summary, /sing a song/);
});

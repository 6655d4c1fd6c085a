import t from 'tap';
import { ReplyCache, type CachedReply, type ReplyCacheOptions } from './reply-cache.js';
import type { SafetyRecord } from '../store/store.js';

const toy = { id: 'bun', name: 'Pommai' };
const other = { id: 'bear', name: 'Teddy' };

function allowed(text: string, direction: 'input' | 'output'): SafetyRecord {
  return { allowed: true, categories: {}, severity: 0, provider: 'fake', direction, text };
}

function reply(...sentences: string[]): CachedReply {
  return { sentences, safety: [allowed('hello', 'input'), ...sentences.map((s) => allowed(s, 'output'))] };
}

function cache(options: Partial<ReplyCacheOptions> = {}, clock = { now: 0 }) {
  return new ReplyCache({ maxPrompts: 10, variants: 2, ttlMs: 1000, maxWords: 5, now: () => clock.now, random: () => 0, ...options });
}

t.test('answers only once the prompt has enough different replies, then takes turns between them', async (t) => {
  const replies = cache();
  replies.learn(toy, 'hello', reply('Hi there!'));
  t.equal(replies.lookup(toy, 'hello'), undefined, 'one reply is not enough');
  replies.learn(toy, 'hello', reply('Hi there!'));
  t.equal(replies.variantsOf(toy, 'hello'), 1, 'the same reply twice is one variant');
  replies.learn(toy, 'hello', reply('Hello, friend!', 'Shall we play?'));
  const served = [replies.lookup(toy, 'hello'), replies.lookup(toy, 'hello'), replies.lookup(toy, 'hello')].map((r) => r?.sentences.join(' '));
  t.same(served, ['Hi there!', 'Hello, friend! Shall we play?', 'Hi there!']);
});

t.test("the same words asked another way hit: case, punctuation, fillers and the toy's own name do not count", async (t) => {
  const replies = cache();
  replies.learn(toy, 'Hello!', reply('A.'));
  replies.learn(toy, 'hello', reply('B.'));
  for (const said of ['HELLO', 'um, hello', 'hello pommai', 'Pommai... hello?']) t.ok(replies.lookup(toy, said), said);
  t.equal(replies.lookup(toy, 'hello there'), undefined, 'other words miss');
  t.equal(replies.lookup(toy, 'pommai'), undefined, 'only the name is no prompt');
  t.equal(replies.lookup(other, 'hello'), undefined, "another toy's replies are its own");
});

t.test('keeps at most `variants` replies per prompt, the newest', async (t) => {
  const replies = cache();
  for (const s of ['A.', 'B.', 'C.']) replies.learn(toy, 'hi', reply(s));
  const served = new Set([replies.lookup(toy, 'hi'), replies.lookup(toy, 'hi')].map((r) => r?.sentences[0]));
  t.same([...served].sort(), ['B.', 'C.']);
});

t.test('replies grow stale and are asked for again', async (t) => {
  const clock = { now: 0 };
  const replies = cache({}, clock);
  replies.learn(toy, 'hi', reply('A.'));
  clock.now = 600;
  replies.learn(toy, 'hi', reply('B.'));
  t.ok(replies.lookup(toy, 'hi'));
  clock.now = 1100;
  t.equal(replies.lookup(toy, 'hi'), undefined, 'A is past its time: one fresh variant is not enough');
  t.equal(replies.variantsOf(toy, 'hi'), 1);
});

t.test('does not learn what must not be served again', async (t) => {
  const replies = cache({ variants: 1 });
  replies.learn(toy, 'one two three four five six', reply('Long.'));
  t.equal(replies.lookup(toy, 'one two three four five six'), undefined, 'a long prompt rarely comes again');
  const blocked: CachedReply = { sentences: ['Redirect.'], safety: [{ ...allowed('bad words', 'input'), allowed: false, category: 'violence', severity: 6 }] };
  replies.learn(toy, 'bad words', blocked);
  t.equal(replies.lookup(toy, 'bad words'), undefined, 'a reply with a blocked verdict is never cached');
  replies.learn(toy, 'hi', { sentences: [], safety: [] });
  t.equal(replies.lookup(toy, 'hi'), undefined, 'nor an empty one');
  replies.learn(toy, '', reply('A.'));
  t.equal(replies.size, 0);
});

t.test('is bounded: past maxPrompts the least recently used prompt goes', async (t) => {
  const replies = cache({ maxPrompts: 2, variants: 1 });
  replies.learn(toy, 'one', reply('1.'));
  replies.learn(toy, 'two', reply('2.'));
  t.ok(replies.lookup(toy, 'one'), 'one is used again');
  replies.learn(toy, 'three', reply('3.'));
  t.equal(replies.size, 2);
  t.ok(replies.lookup(toy, 'one'));
  t.equal(replies.lookup(toy, 'two'), undefined, 'two was the least recently used');
  replies.clear();
  t.equal(replies.size, 0);
});

t.test('a served reply is a copy: changing what was learned does not change the cache', async (t) => {
  const replies = cache({ variants: 1 });
  const sentences = ['Hi.'];
  replies.learn(toy, 'hi', { sentences, safety: [] });
  sentences.push('Changed.');
  t.same(replies.lookup(toy, 'hi')?.sentences, ['Hi.']);
});

import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { knowledgeFacts, knowledgeSection, withKnowledge } from './knowledge-prompt.js';
import { MemoryStore } from '../store/testing/memory-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { DEFAULT_TOY } from '../toy/toy-profile.js';

t.test("a toy's knowledge becomes store facts: the answer as text, question words as keywords", async (t) => {
  const facts = knowledgeFacts(DEFAULT_TOY);
  t.equal(facts.length, DEFAULT_TOY.knowledge.length);
  t.strictSame(facts[0], {
    id: '1',
    text: 'My favourite colour is orange, just like a crunchy carrot!',
    keywords: ['colour', 'color', 'favourite', 'favorite'],
  });
  t.strictSame(facts[2]?.keywords, ['food', 'eat', 'favourite']);
});

for (const [name, open] of [
  ['MemoryStore', async () => new MemoryStore()],
  ['SqliteStore', async (t: Test) => SqliteStore.open(join(t.testdir(), 'pommai.db'))],
] as const) {
  t.test(`the default toy answers its own questions through the ${name}`, async (t) => {
    const store: Store = await open(t);
    t.teardown(() => store.close());
    await store.putKnowledge(DEFAULT_TOY.id, knowledgeFacts(DEFAULT_TOY));
    const best = async (question: string) => (await store.searchKnowledge(DEFAULT_TOY.id, question, 3))[0]?.text;
    for (const fact of DEFAULT_TOY.knowledge) {
      for (const question of fact.questions) t.equal(await best(`${question}?`), fact.answer, question);
    }
    t.equal(await best('What colour do you like best?'), DEFAULT_TOY.knowledge[0]?.answer);
    t.strictSame(await store.searchKnowledge(DEFAULT_TOY.id, 'tell me a story', 3), [], 'nothing for what it does not know');
  });
}

t.test('retrieved facts become a short prompt section, best first, whole facts only', async (t) => {
  const facts = [
    { id: 'a', text: 'My favourite colour is orange.', keywords: [] },
    { id: 'b', text: 'I am five bunny years old.\n', keywords: [] },
  ];
  t.equal(knowledgeSection(facts), 'Things you know about yourself (say them in your own words when they fit): My favourite colour is orange. I am five bunny years old.');
  t.equal(knowledgeSection([]), '');
  const short = knowledgeSection([{ id: 'long', text: 'carrot '.repeat(200), keywords: [] }, ...facts], 140);
  t.ok(short.length <= 140, `${short.length} characters`);
  t.notMatch(short, /carrot carrot/, 'a fact too long is left out, not cut');
  t.match(short, /orange/);
});

t.test('withKnowledge appends the section to the system prompt, or leaves it alone', async (t) => {
  t.equal(withKnowledge('You are a bunny.', []), 'You are a bunny.');
  t.match(withKnowledge('You are a bunny.', [{ id: 'a', text: 'I like carrots.', keywords: [] }]), /^You are a bunny\.\n\nThings you know.*I like carrots\.$/s);
});

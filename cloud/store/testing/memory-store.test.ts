import t from 'tap';
import { MemoryStore } from './memory-store.js';
import { sampleTurn, storeContract } from './store-contract.js';

storeContract(t, 'MemoryStore', async () => new MemoryStore());

t.test('keeps its own copy of a turn', async (t) => {
  const store = new MemoryStore();
  const turn = sampleTurn();
  await store.saveTurn(turn);
  (turn.timings as Record<string, number>).total = -1;
  const [listed] = await store.listTurns({});
  t.equal(listed?.timings.total, 1820);
  (listed?.safety as unknown[]).length = 0;
  t.equal((await store.listTurns({}))[0]?.safety.length, 2);
});

t.test('a closed store refuses work', async (t) => {
  const store = new MemoryStore();
  await store.close();
  await t.rejects(store.listTurns({}), { code: 'store_unavailable' });
});

t.test('keeps its own copy of a conversation and of facts', async (t) => {
  const store = new MemoryStore();
  const messages = [{ role: 'user' as const, content: 'hi' }];
  await store.saveConversation('toy-1', 'pommai', { summary: '', messages });
  messages.push({ role: 'user', content: 'changed later' });
  const saved = await store.conversation('toy-1', 'pommai');
  t.equal(saved?.messages.length, 1);
  (saved?.messages as unknown[]).length = 0;
  t.equal((await store.conversation('toy-1', 'pommai'))?.messages.length, 1);
  const keywords = ['carrot'];
  await store.putKnowledge('pommai', [{ text: 'I like carrots.', keywords }]);
  keywords.push('changed');
  const [fact] = await store.searchKnowledge('pommai', 'carrot', 1);
  t.strictSame(fact?.keywords, ['carrot']);
  (fact?.keywords as string[]).push('changed');
  t.strictSame((await store.searchKnowledge('pommai', 'carrot', 1))[0]?.keywords, ['carrot']);
});

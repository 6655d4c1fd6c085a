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

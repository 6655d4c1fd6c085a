import t from 'tap';
import type { LogLevel } from '../../log/log.js';
import type { KnowledgeFact } from '../store/store.js';
import { systemPrompt } from '../toy/system-prompt.js';
import { DEFAULT_TOY } from '../toy/toy-profile.js';
import { ConversationMemory } from './conversation-memory.js';
import { KNOWLEDGE_PER_TURN, turnPrompt } from './turn-prompt.js';

const COLOUR: KnowledgeFact = { id: '1', text: 'My favourite colour is orange.', keywords: ['colour'] };

function knowledge(answer: (query: string) => readonly KnowledgeFact[] | Error) {
  const asked: { toyId: string; query: string; limit: number }[] = [];
  return {
    asked,
    async searchKnowledge(toyId: string, query: string, limit: number) {
      asked.push({ toyId, query, limit });
      const found = answer(query);
      if (found instanceof Error) throw found;
      return [...found];
    },
  };
}

function logged() {
  const lines: { level: LogLevel; message: string; fields?: Record<string, unknown> }[] = [];
  return { lines, log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, ...(fields ? { fields } : {}) }) };
}

t.test("without a memory: the toy's system prompt with the facts found for the words, then the words", async (t) => {
  const store = knowledge(() => [COLOUR]);
  const messages = await turnPrompt({ store, toy: DEFAULT_TOY, memory: () => undefined, log: logged().log })('what is your favourite colour');
  t.same(store.asked, [{ toyId: DEFAULT_TOY.id, query: 'what is your favourite colour', limit: KNOWLEDGE_PER_TURN }]);
  t.equal(messages.length, 2);
  t.equal(messages[0]?.role, 'system');
  t.ok(messages[0]?.content.startsWith(systemPrompt(DEFAULT_TOY)), 'the system prompt comes first');
  t.match(messages[0]?.content, /My favourite colour is orange\./, 'and the fact follows it');
  t.same(messages[1], { role: 'user', content: 'what is your favourite colour' });
});

t.test('nothing found: the system prompt alone', async (t) => {
  const messages = await turnPrompt({ store: knowledge(() => []), toy: DEFAULT_TOY, memory: () => undefined, log: logged().log })('tell me a story');
  t.equal(messages[0]?.content, systemPrompt(DEFAULT_TOY));
});

t.test('a store that cannot search: the turn goes on without the facts, and the log says why', async (t) => {
  const { lines, log } = logged();
  const messages = await turnPrompt({ store: knowledge(() => new Error('database is locked')), toy: DEFAULT_TOY, memory: () => undefined, log, logFields: { session: 's1' } })('hello');
  t.equal(messages[0]?.content, systemPrompt(DEFAULT_TOY));
  t.same(lines, [{ level: 'warn', message: "cannot search the toy's knowledge", fields: { session: 's1', error: 'database is locked' } }]);
});

t.test('with a memory: the conversation so far sits between the system prompt and the words', async (t) => {
  const memory = await ConversationMemory.load({
    store: { conversation: async () => ({ updatedAt: new Date(0).toISOString(), summary: '', messages: [{ role: 'user', content: 'my dog is called Max' }, { role: 'assistant', content: 'What a lovely name!' }] }), saveConversation: async () => undefined },
    deviceId: 'toy-1',
    toyId: DEFAULT_TOY.id,
    onError: (error) => t.fail(error.message),
  });
  const messages = await turnPrompt({ store: knowledge(() => []), toy: DEFAULT_TOY, memory: () => memory, log: logged().log })('what is my dog called');
  t.same(messages.map((m) => m.role), ['system', 'user', 'assistant', 'user']);
  t.equal(messages[1]?.content, 'my dog is called Max');
  t.equal(messages.at(-1)?.content, 'what is my dog called');
});

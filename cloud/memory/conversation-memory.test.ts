import t from 'tap';
import type { Test } from 'tap';
import { ConversationMemory, withSummary, type ConversationMemoryOptions, type Summarize } from './conversation-memory.js';
import { ProviderError } from '../providers/provider-error.js';
import { MemoryStore } from '../store/testing/memory-store.js';
import type { Conversation, ConversationMessage, Store } from '../store/store.js';
import { estimateMessagesTokens, estimateTokens } from './token-estimate.js';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface SummaryCall extends Deferred<string> {
  readonly previous: string;
  readonly trimmed: readonly ConversationMessage[];
  readonly signal: AbortSignal;
}

/** A summarizer the test answers by hand; it counts how many calls run at once. */
function scriptedSummarizer() {
  const calls: SummaryCall[] = [];
  const waiting: ((call: SummaryCall) => void)[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const summarize: Summarize = (previous, trimmed, signal) => {
    const call = { ...deferred<string>(), previous, trimmed: [...trimmed], signal };
    calls.push(call);
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    const settle = () => running--;
    call.promise.then(settle, settle);
    waiting.shift()?.(call);
    return call.promise;
  };
  return {
    summarize,
    calls,
    get mostAtOnce() {
      return mostAtOnce;
    },
    /** The call after the `index`th (0-based), once it has been made. */
    call(index: number): Promise<SummaryCall> {
      const made = calls[index];
      if (made !== undefined) return Promise.resolve(made);
      if (index !== calls.length + waiting.length) throw new Error('wait for calls in order');
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** Reports collected for the test to look at, and a way to wait for the next one. */
function errors() {
  const seen: { error: ProviderError; action: string }[] = [];
  const waiting: (() => void)[] = [];
  return {
    seen,
    onError: (error: ProviderError, action: 'load' | 'save' | 'summarize') => {
      seen.push({ error, action });
      for (const wake of waiting.splice(0)) wake();
    },
    async next(count: number): Promise<void> {
      while (seen.length < count) await new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
}

const question = (i: number) => `Question ${'i'.repeat(i % 3)} about carrots and dragons, number word ${i}?`;
const answer = (i: number) => `Answer ${i}: dragons love carrots, and bunnies love dragons too, in the warm cave by the sea.`;

async function load(t: Test, options: Partial<ConversationMemoryOptions> & { store?: ConversationMemoryOptions['store'] } = {}) {
  const store = options.store ?? new MemoryStore();
  const reports = errors();
  const memory = await ConversationMemory.load({ deviceId: 'toy-1', toyId: 'pommai', onError: reports.onError, ...options, store });
  t.teardown(() => memory.close());
  return { memory, store, reports };
}

async function talk(memory: ConversationMemory, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await memory.remember(question(i), answer(i));
}

t.test('a new child: the turn sends the system prompt and the child’s words only', async (t) => {
  const { memory } = await load(t);
  t.equal(memory.summary, '');
  t.strictSame(memory.history, []);
  t.strictSame(memory.messagesFor('You are Pommai.', 'hello'), [
    { role: 'system', content: 'You are Pommai.' },
    { role: 'user', content: 'hello' },
  ]);
});

t.test('answered turns are remembered, saved, and there after a reconnect', async (t) => {
  const store = new MemoryStore();
  const { memory } = await load(t, { store });
  await memory.remember('what is your name?', 'I am Pommai!');
  await memory.remember('sing a song', 'La la la, carrots!');
  t.strictSame((await store.conversation('toy-1', 'pommai'))?.messages, [
    { role: 'user', content: 'what is your name?' },
    { role: 'assistant', content: 'I am Pommai!' },
    { role: 'user', content: 'sing a song' },
    { role: 'assistant', content: 'La la la, carrots!' },
  ]);
  const again = (await load(t, { store })).memory;
  t.strictSame(again.messagesFor('You are Pommai.', 'again!'), [
    { role: 'system', content: 'You are Pommai.' },
    { role: 'user', content: 'what is your name?' },
    { role: 'assistant', content: 'I am Pommai!' },
    { role: 'user', content: 'sing a song' },
    { role: 'assistant', content: 'La la la, carrots!' },
    { role: 'user', content: 'again!' },
  ]);
  t.equal((await load(t, { store, toyId: 'robo' })).memory.history.length, 0, 'another toy remembers nothing of it');
});

t.test('past the budget the oldest talk is summarized, and the summary goes into the system prompt', async (t) => {
  const scripted = scriptedSummarizer();
  const { memory, store } = await load(t, { summarize: scripted.summarize, historyTokens: 200 });
  let i = 0;
  while (scripted.calls.length === 0) {
    await memory.remember(question(i), answer(i));
    i++;
    t.ok(estimateMessagesTokens(memory.history) <= 200, `turn ${i}: the history stays within its budget`);
  }
  const call = await scripted.call(0);
  t.equal(call.previous, '');
  t.equal(call.trimmed[0]?.content, question(0), 'the oldest first');
  t.strictSame([...call.trimmed, ...memory.history].map((m) => m.content), Array.from({ length: i }, (_, n) => [question(n), answer(n)]).flat(), 'nothing lost, nothing twice');
  t.equal(memory.history[0]?.role, 'user', 'the history still starts with the child');
  call.resolve('We talked about dragons and carrots.');
  await memory.settled();
  t.equal(memory.summary, 'We talked about dragons and carrots.');
  t.equal((await store.conversation('toy-1', 'pommai'))?.summary, 'We talked about dragons and carrots.', 'saved');
  const [system] = memory.messagesFor('You are Pommai.', 'hi');
  t.equal(system?.content, withSummary('You are Pommai.', 'We talked about dragons and carrots.'));
  t.match(system?.content, /^You are Pommai\.\n\n.*never instructions.*We talked about dragons and carrots\.$/s);
});

t.test('until the summary comes back, the trimmed talk is kept in plain form, and saved that way', async (t) => {
  const scripted = scriptedSummarizer();
  const { memory, store } = await load(t, { summarize: scripted.summarize, historyTokens: 200 });
  for (let i = 0; scripted.calls.length === 0; i++) await memory.remember(question(i), answer(i));
  const call = await scripted.call(0);
  const childSaid = call.trimmed.filter((m) => m.role === 'user').at(-1)!.content;
  t.match(memory.summary, childSaid, 'the child’s words are in the summary meanwhile');
  t.match((await store.conversation('toy-1', 'pommai'))?.summary, childSaid);
  call.resolve('We talked about dragons.');
  await memory.settled();
  t.equal(memory.summary, 'We talked about dragons.');
});

t.test('turns that end while a summary is being made wait for the next one: never two at once, nothing out of order', async (t) => {
  const scripted = scriptedSummarizer();
  const { memory } = await load(t, { summarize: scripted.summarize, historyTokens: 200 });
  let i = 0;
  while (scripted.calls.length === 0) await memory.remember(question(i), answer(i++));
  const first = await scripted.call(0);
  // Enough turns to trim twice more while the first summary is still out (not so many that the
  // waiting queue passes its bound and lets its oldest go).
  for (const stop = i + 4; i < stop; i++) await memory.remember(question(i), answer(i));
  t.equal(scripted.calls.length, 1, 'no second call while the first runs');
  t.ok(estimateMessagesTokens(memory.history) <= 200);
  first.resolve('Notes one.');
  const second = await scripted.call(1);
  t.equal(second.previous, 'Notes one.', 'the next summary builds on the last');
  t.equal(second.trimmed[0]?.content, question(first.trimmed.length / 2), 'it takes up exactly where the first stopped');
  const contents = [...first.trimmed, ...second.trimmed, ...memory.history].map((m) => m.content);
  t.strictSame(contents, Array.from({ length: i }, (_, n) => [question(n), answer(n)]).flat(), 'every message once, in order');
  t.match(memory.summary, /^Notes one\. The child said to me:/, 'meanwhile the queued talk is plain');
  second.resolve('Notes two.');
  await memory.settled();
  t.equal(memory.summary, 'Notes two.');
  t.equal(scripted.mostAtOnce, 1);
});

t.test('a failed summary leaves the plain one and is reported; memory stays bounded however long the talk', async (t) => {
  const failing: Summarize = async () => {
    throw new Error('model down');
  };
  const { memory, reports } = await load(t, { summarize: failing, historyTokens: 200, summaryTokens: 60 });
  for (let i = 0; i < 60; i++) {
    await memory.remember(question(i), answer(i));
    await memory.settled();
    t.ok(estimateMessagesTokens(memory.history) <= 200, 'history within budget');
    t.ok(estimateTokens(memory.summary) <= 60, 'summary within its cap');
  }
  t.ok(reports.seen.length > 0);
  t.ok(reports.seen.every((r) => r.action === 'summarize' && r.error.code === 'summary_failed' && r.error.retryable));
  t.match(memory.summary, /The child said to me: .*"Question .*"\.$/);
  t.match(memory.summary, /number word …\?"\.$/, 'numbers are taken out of the plain summary');
});

t.test('an empty summary counts as a failure', async (t) => {
  const { memory, reports } = await load(t, { summarize: async () => '   ', historyTokens: 200 });
  await talk(memory, 0, 8);
  await memory.settled();
  t.equal(reports.seen[0]?.error.code, 'summary_empty');
  t.match(memory.summary, /The child said to me/);
});

t.test('the summary is capped and numbers are taken out of it', async (t) => {
  const long = async () => `Call me on 0412 345 678. ${'We talked about dragons and carrots. '.repeat(100)}`;
  const { memory } = await load(t, { summarize: long, historyTokens: 200, summaryTokens: 50 });
  await talk(memory, 0, 8);
  await memory.settled();
  t.ok(estimateTokens(memory.summary) <= 50, `${estimateTokens(memory.summary)} tokens`);
  t.match(memory.summary, /^Call me on …\. We talked/);
});

t.test('a summary that does not come back in time is given up on; the next waits until that call ends', async (t) => {
  const scripted = scriptedSummarizer();
  const { memory, reports } = await load(t, { summarize: scripted.summarize, historyTokens: 200, summarizeTimeoutMs: 5 });
  let i = 0;
  while (scripted.calls.length === 0) await memory.remember(question(i), answer(i++));
  const stuck = await scripted.call(0);
  await reports.next(1);
  t.equal(reports.seen[0]?.error.code, 'summary_timeout');
  t.equal(stuck.signal.aborted, true, 'its signal was aborted');
  await memory.settled();
  t.match(memory.summary, /The child said to me/, 'the plain summary stands in');
  // This summarizer ignores its signal: no second call may start while it is still running.
  for (const stop = i + 8; i < stop; i++) await memory.remember(question(i), answer(i));
  t.equal(scripted.calls.length, 1);
  stuck.resolve('Too late.');
  const next = await scripted.call(1);
  t.notMatch(next.previous, /Too late/, 'a result after giving up is not used');
  next.resolve('Back on track.');
  await memory.settled();
  t.equal(memory.summary, 'Back on track.');
});

t.test('a smaller budget than when saved trims at load', async (t) => {
  const store = new MemoryStore();
  const first = (await load(t, { store })).memory;
  await talk(first, 0, 20);
  const scripted = scriptedSummarizer();
  const { memory } = await load(t, { store, summarize: scripted.summarize, historyTokens: 200 });
  t.ok(estimateMessagesTokens(memory.history) <= 200);
  const call = await scripted.call(0);
  t.equal(call.trimmed[0]?.content, question(0));
  call.resolve('Lots of dragons.');
  await memory.settled();
  t.equal((await store.conversation('toy-1', 'pommai'))?.summary, 'Lots of dragons.');
});

t.test('a store that cannot load: reported, the toy still remembers this session, and the stored memory is not overwritten', async (t) => {
  const store = new MemoryStore();
  await store.saveConversation('toy-1', 'pommai', { summary: 'precious', messages: [] });
  let saves = 0;
  const flaky: ConversationMemoryOptions['store'] = {
    conversation: async () => {
      throw new ProviderError('store_unavailable', 'busy', { retryable: true });
    },
    saveConversation: async (...args) => {
      saves++;
      return store.saveConversation(...args);
    },
  };
  const { memory, reports } = await load(t, { store: flaky });
  t.strictSame(reports.seen.map((r) => [r.action, r.error.code]), [['load', 'store_unavailable']]);
  await memory.remember('hi', 'hello!');
  t.equal(memory.history.length, 2);
  t.equal(saves, 0);
  t.equal((await store.conversation('toy-1', 'pommai'))?.summary, 'precious');
});

t.test('a failed save is reported and never fails the turn', async (t) => {
  const broken: ConversationMemoryOptions['store'] = {
    conversation: async () => undefined,
    saveConversation: async () => {
      throw new Error('disk on fire');
    },
  };
  const { memory, reports } = await load(t, { store: broken });
  await memory.remember('hi', 'hello!');
  t.strictSame(reports.seen.map((r) => [r.action, r.error.code]), [['save', 'memory_save_failed']]);
  t.equal(memory.history.length, 2);
});

t.test('saves run one at a time and the last state wins', async (t) => {
  const store = new MemoryStore();
  const started: Deferred<void>[] = [];
  const waiting: (() => void)[] = [];
  const saved: Conversation[] = [];
  const slow: ConversationMemoryOptions['store'] = {
    conversation: (...args) => store.conversation(...args),
    saveConversation: async (deviceId, toyId, conversation) => {
      const gate = deferred<void>();
      started.push(gate);
      waiting.shift()?.();
      await gate.promise;
      saved.push(conversation);
      await store.saveConversation(deviceId, toyId, conversation);
    },
  };
  const saveStarted = async (count: number) => {
    while (started.length < count) await new Promise<void>((resolve) => waiting.push(resolve));
    return started[count - 1]!;
  };
  const { memory } = await load(t, { store: slow });
  const first = memory.remember('one', 'uno');
  const firstSave = await saveStarted(1);
  const second = memory.remember('two', 'dos');
  const third = memory.remember('three', 'tres');
  t.equal(started.length, 1, 'the next save waits for the one under way');
  firstSave.resolve();
  (await saveStarted(2)).resolve();
  await Promise.all([first, second, third]);
  t.equal(started.length, 2, 'the two turns that waited share one save');
  t.strictSame(saved.map((c) => c.messages.length), [2, 6], 'in order, the last holding every turn');
  t.equal((await store.conversation('toy-1', 'pommai'))?.messages.length, 6);
});

t.test('forget: a parent’s delete is not undone by the memory of the session', async (t) => {
  const scripted = scriptedSummarizer();
  const store = new MemoryStore();
  const { memory } = await load(t, { store, summarize: scripted.summarize, historyTokens: 200 });
  for (let i = 0; scripted.calls.length === 0; i++) await memory.remember(question(i), answer(i));
  const call = await scripted.call(0);
  await memory.forget();
  await store.deleteTurns('toy-1');
  t.equal(call.signal.aborted, true, 'the summary in flight is dropped');
  call.resolve('All about dragons.');
  await memory.settled();
  t.equal(memory.summary, '');
  t.strictSame(memory.history, []);
  t.equal(await store.conversation('toy-1', 'pommai'), undefined, 'nothing saved again');
  await memory.remember('new day', 'hello again');
  t.strictSame((await store.conversation('toy-1', 'pommai'))?.messages.map((m) => m.content), ['new day', 'hello again'], 'new talk is remembered afresh');
});

t.test('close gives up on the summary in flight, quietly, and saves the plain one', async (t) => {
  const scripted = scriptedSummarizer();
  const store = new MemoryStore();
  const { memory, reports } = await load(t, { store, summarize: scripted.summarize, historyTokens: 200 });
  for (let i = 0; scripted.calls.length === 0; i++) await memory.remember(question(i), answer(i));
  const call = await scripted.call(0);
  await memory.close();
  t.equal(call.signal.aborted, true);
  t.strictSame(reports.seen, [], 'closing is not a failure');
  t.match((await store.conversation('toy-1', 'pommai'))?.summary, /The child said to me/);
  await talk(memory, 100, 120);
  await memory.settled();
  t.equal(scripted.calls.length, 1, 'no summaries after close');
  t.ok(estimateMessagesTokens(memory.history) <= 200, 'still bounded');
});

t.test('bad budgets are refused with a code', async (t) => {
  const store: Store = new MemoryStore();
  const base = { store, deviceId: 'toy-1', toyId: 'pommai', onError: () => {} };
  await t.rejects(ConversationMemory.load({ ...base, historyTokens: 0 }), { code: 'invalid_memory_options', message: /historyTokens/ });
  await t.rejects(ConversationMemory.load({ ...base, summaryTokens: 2.5 }), { code: 'invalid_memory_options', message: /summaryTokens/ });
  await t.rejects(ConversationMemory.load({ ...base, historyTokens: 1_000_000 }), { code: 'invalid_memory_options' });
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { LogLevel } from '../../log/log.js';
import { ConversationLog, conversationFallbackPathFor, type ConversationLogOptions, type UnsavedConversation } from './conversation-log.js';
import { replayConversations } from './replay-conversations.js';
import { SqliteStore } from './sqlite-store.js';
import type { Conversation } from './store.js';
import { fillStore } from './testing/fill-store.js';
import type { Schedule } from './turn-log.js';

function recorder() {
  const entries: { level: LogLevel; message: string; fields: Readonly<Record<string, unknown>> }[] = [];
  return {
    entries,
    log: (level: LogLevel, message: string, fields: Readonly<Record<string, unknown>> = {}) => void entries.push({ level, message, fields }),
    count: (pattern: RegExp) => entries.filter((entry) => pattern.test(entry.message)).length,
  };
}

/** A Schedule whose retries run only when the test says so. */
function manualSchedule() {
  const calls: { run: () => void; delayMs: number }[] = [];
  const schedule: Schedule = (run, delayMs) => {
    calls.push({ run, delayMs });
    return () => undefined;
  };
  return { schedule, calls };
}

/** A size-capped store filled up to the last page: device 'filler' holds it all, and deleting its turns frees it. */
async function fullStore(t: Test, dir: string): Promise<SqliteStore> {
  const store = await SqliteStore.open(join(dir, 'pommai.db'), { maxSizeBytes: 96 * 1024 });
  t.teardown(() => store.close());
  await fillStore(store);
  // A conversation row fits where a turn's no longer does: fill those gaps too.
  for (let n = 0, summary = 'blah '.repeat(200); ; n++) {
    if (n > 10_000) throw new Error('the store never filled up');
    try {
      await store.saveConversation('filler', `toy-${n}`, { summary, messages: [] });
    } catch {
      if (summary === 'b') break;
      summary = 'b';
    }
  }
  return store;
}

async function readonlyStore(t: Test, dir: string): Promise<SqliteStore> {
  const path = join(dir, 'pommai.db');
  await (await SqliteStore.open(path)).close();
  const store = await SqliteStore.open(path, { readonly: true });
  t.teardown(() => store.close());
  return store;
}

const talk = (n: number): Conversation => ({
  summary: `talked ${n} times`,
  messages: [
    { role: 'user', content: `question ${n} about a dragon` },
    { role: 'assistant', content: `answer ${n}` },
  ],
});

function conversationLog(store: ConversationLogOptions['store'], dir: string, log: ReturnType<typeof recorder>, extra: Partial<ConversationLogOptions> = {}): ConversationLog {
  return new ConversationLog({ store, fallbackPath: conversationFallbackPathFor(join(dir, 'pommai.db')), log: log.log, retryMinMs: 10, retryMaxMs: 40, ...extra });
}

function spilledLines(dir: string): UnsavedConversation[] {
  const path = conversationFallbackPathFor(join(dir, 'pommai.db'));
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as UnsavedConversation);
}

t.test('a full store: the memory waits (its newest state only), is read back while waiting, and lands once there is room', async (t) => {
  const dir = t.testdir();
  const store = await fullStore(t, dir);
  const log = recorder();
  const retries = manualSchedule();
  const memories = conversationLog(store, dir, log, { schedule: retries.schedule });
  await memories.saveConversation('toy-1', 'pommai', talk(1));
  t.equal(memories.pending, 1, 'held, not dropped');
  await memories.saveConversation('toy-1', 'pommai', talk(2));
  t.equal(memories.pending, 1, 'one place per device and toy: the newer state replaces the waiting one');
  t.match(await memories.conversation('toy-1', 'pommai'), talk(2), 'a device that reconnects reads what waits');
  t.equal(log.count(/not saved yet/), 1, 'one line when the store starts failing');
  t.notMatch(JSON.stringify(log.entries), /dragon/, 'logs never carry what was said');
  t.equal(retries.calls.length, 1);

  retries.calls[0]?.run();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(retries.calls[1]?.delayMs, 20, 'still full: the next retry backs off');
  await store.deleteTurns('filler');
  retries.calls[1]?.run();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(memories.pending, 0);
  t.match(await store.conversation('toy-1', 'pommai'), talk(2), 'the newest state is in the store');
  t.equal(log.count(/store took the waiting conversation memories/), 1);
  t.strictSame(spilledLines(dir), [], 'nothing needed the fallback file');
});

t.test('a store that refuses outright: the memory goes to the fallback file, and the next start replays it', async (t) => {
  const dir = t.testdir();
  const log = recorder();
  const memories = conversationLog(await readonlyStore(t, dir), dir, log);
  await memories.saveConversation('toy-1', 'pommai', talk(1));
  await memories.saveConversation('toy-1', 'pommai', talk(2));
  await memories.saveConversation('toy-2', 'pommai', talk(7));
  t.equal(memories.spilled, 3);
  t.equal(log.count(/written to the fallback file/), 1, 'the first spill is logged; the rest are counted');

  const fresh = await SqliteStore.open(join(dir, 'fresh.db'));
  t.teardown(() => fresh.close());
  // toy-2's memory was saved again later (the same millisecond counts as later): the spilled one must not win.
  await fresh.saveConversation('toy-2', 'pommai', talk(8));
  const fallbackPath = conversationFallbackPathFor(join(dir, 'pommai.db'));
  const result = await replayConversations(fresh, fallbackPath, log.log);
  t.match(result, { saved: 1, stale: 1, returned: 0, rejected: 0 });
  t.match(await fresh.conversation('toy-1', 'pommai'), talk(2), 'the newest line of a memory wins');
  t.match(await fresh.conversation('toy-2', 'pommai'), talk(8), 'a newer save in the store stands');
  t.notOk(existsSync(fallbackPath), 'the file is gone');
  t.strictSame(await replayConversations(fresh, fallbackPath, log.log), { saved: 0, stale: 0, returned: 0, rejected: 0 }, 'nothing the second time');
});

t.test('replay sets aside lines that are not memories, and puts back what a failing store refuses', async (t) => {
  const dir = t.testdir();
  const store = await fullStore(t, dir);
  const log = recorder();
  const fallbackPath = conversationFallbackPathFor(join(dir, 'pommai.db'));
  const line: UnsavedConversation = { deviceId: 'toy-1', toyId: 'pommai', ...talk(1), at: new Date().toISOString() };
  writeFileSync(fallbackPath, `{"half a line\n${JSON.stringify(line)}\n`);
  t.match(await replayConversations(store, fallbackPath, log.log), { saved: 0, returned: 1, rejected: 1 });
  t.strictSame(spilledLines(dir), [line], 'back for next time');
  t.equal(readFileSync(`${fallbackPath}.rejected`, 'utf8'), '{"half a line\n');
  t.equal(log.entries.length, 1);
  t.equal(log.entries[0]?.level, 'error');
});

t.test('a full disk under the fallback file (/dev/full): past the bound memories are lost, counted, logged once, never thrown', { skip: existsSync('/dev/full') ? false : 'no /dev/full here' }, async (t) => {
  const dir = t.testdir();
  const store = await fullStore(t, dir);
  const log = recorder();
  const memories = conversationLog(store, dir, log, { fallbackPath: '/dev/full', maxPending: 2, schedule: manualSchedule().schedule });
  for (let n = 1; n <= 10; n++) await memories.saveConversation(`toy-${n}`, 'pommai', talk(n));
  t.equal(memories.pending, 2, 'the bound in memory holds');
  t.equal(memories.lost, 8);
  t.equal(memories.spillProblem, 'ENOSPC');
  t.equal(log.count(/fallback file refuses records/), 1, 'one line for the whole run');
  await memories.flush();
  t.equal(memories.lost, 10, 'at shutdown the held two could go nowhere either');
  t.equal(log.count(/fallback file refuses records/), 1);
});

t.test("a parent's delete drops what waits for the device, so no retry brings it back", async (t) => {
  const dir = t.testdir();
  const store = await fullStore(t, dir);
  const retries = manualSchedule();
  const memories = conversationLog(store, dir, recorder(), { schedule: retries.schedule });
  await memories.saveConversation('toy-1', 'pommai', talk(1));
  await memories.saveConversation('toy-2', 'pommai', talk(2));
  memories.forget('toy-1');
  t.equal(memories.pending, 1);
  t.equal(await memories.conversation('toy-1', 'pommai'), undefined);
  await store.deleteTurns('filler');
  await memories.flush();
  t.equal(await store.conversation('toy-1', 'pommai'), undefined);
  t.match(await store.conversation('toy-2', 'pommai'), talk(2));
});

t.test('what no store would take is refused at once, as the store refuses it', async (t) => {
  const dir = t.testdir();
  const memories = conversationLog(await fullStore(t, dir), dir, recorder());
  await t.rejects(memories.saveConversation('toy-1', 'pommai', { summary: 'x', messages: [{ role: 'robot', content: 'beep' }] } as unknown as Conversation), { code: 'invalid_conversation' });
  t.equal(memories.pending, 0);
  t.equal(memories.spilled, 0);
});

t.test('an older save that fails after a newer one was saved is not retried over it (a store whose saves overlap)', async (t) => {
  const saved: string[] = [];
  let failFirst: ((error: Error) => void) | undefined;
  const { ProviderError } = await import('../providers/provider-error.js');
  const store = {
    conversation: async () => undefined,
    saveConversation: async (_device: string, _toy: string, conversation: Conversation) => {
      if (failFirst === undefined && saved.length === 0 && conversation.summary === 'talked 1 times') {
        await new Promise<void>((_, reject) => (failFirst = reject));
      }
      saved.push(conversation.summary);
    },
  };
  const clock = manualSchedule();
  const log = recorder();
  const memories = new ConversationLog({ store, fallbackPath: conversationFallbackPathFor(join(t.testdir(), 'pommai.db')), log: log.log, schedule: clock.schedule });
  const older = memories.saveConversation('toy-1', 'bear', talk(1));
  await new Promise((resolve) => setImmediate(resolve));
  await memories.saveConversation('toy-1', 'bear', talk(2));
  t.same(saved, ['talked 2 times'], 'the newer state is in the store');
  failFirst!(new ProviderError('store_busy', 'busy', { retryable: true }));
  await older;
  t.equal(clock.calls.length, 0, 'no retry of the older state is scheduled');
  await memories.flush();
  t.same(saved, ['talked 2 times'], 'and the flush did not write it either');
});

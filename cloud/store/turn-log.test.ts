import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { fillStore } from './testing/fill-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store, TurnRecord } from './store.js';
import { sampleTurn } from './testing/store-contract.js';
import { TurnLog, fallbackPathFor } from './turn-log.js';
import type { LogLevel } from '../../log/log.js';
import type { Schedule, TurnLogOptions } from './turn-log.js';

interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Collects log lines and lets a test wait, with a bound, for one that matches. */
function recorder() {
  const entries: LogEntry[] = [];
  const waiters: { match: (entry: LogEntry) => boolean; resolve: (entry: LogEntry) => void }[] = [];
  return {
    entries,
    log(level: LogLevel, message: string, fields: Readonly<Record<string, unknown>> = {}) {
      const entry = { level, message, fields };
      entries.push(entry);
      for (const waiter of waiters.splice(0)) {
        if (waiter.match(entry)) waiter.resolve(entry);
        else waiters.push(waiter);
      }
    },
    until(match: (entry: LogEntry) => boolean, label: string): Promise<LogEntry> {
      const seen = entries.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return bounded(new Promise((resolve) => waiters.push({ match, resolve })), label);
    },
    count(message: string): number {
      return entries.filter((entry) => entry.message === message).length;
    },
  };
}

/** A Schedule that only runs a retry when the test says so. */
function manualSchedule() {
  const calls: { run: () => void; delayMs: number; cancelled: boolean }[] = [];
  let wake: (() => void) | undefined;
  const schedule: Schedule = (run, delayMs) => {
    const call = { run, delayMs, cancelled: false };
    calls.push(call);
    wake?.();
    return () => {
      call.cancelled = true;
    };
  };
  return {
    schedule,
    calls,
    /** Waits for the nth scheduled retry (1-based). */
    async nth(n: number): Promise<{ run: () => void; delayMs: number; cancelled: boolean }> {
      while (calls.length < n) await bounded(new Promise<void>((resolve) => (wake = resolve)), `retry ${n} scheduled`);
      return calls[n - 1] as (typeof calls)[number];
    },
  };
}

function bounded<T>(promise: Promise<T>, label: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up waiting for: ${label}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function fullStore(t: Test, dir: string): Promise<SqliteStore> {
  const store = await SqliteStore.open(join(dir, 'pommai.db'), { maxSizeBytes: 96 * 1024 });
  t.teardown(() => store.close());
  await fillStore(store);
  return store;
}

function kidTurn(n: number, overrides: Partial<TurnRecord> = {}): TurnRecord {
  return sampleTurn({ id: `kid-${n}`, turn: n, startedAt: new Date(Date.UTC(2024, 4, 1, 10, n)).toISOString(), ...overrides });
}

/** Waits, with a bound, until `ready` holds; it is checked after each turn of the event loop. */
async function waitFor(ready: () => boolean, label: string): Promise<void> {
  await bounded(
    (async () => {
      while (!ready()) await new Promise((resolve) => setImmediate(resolve));
    })(),
    label,
  );
}

function fallbackLines(path: string): TurnRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as TurnRecord);
}

async function kidIds(store: Store): Promise<string[]> {
  return (await store.listTurns({ deviceId: 'toy-1' })).map((turn) => turn.id).sort();
}

function turnLog(store: Store, dir: string, log: ReturnType<typeof recorder>, extra: Partial<TurnLogOptions> = {}): TurnLog {
  return new TurnLog({
    store,
    fallbackPath: fallbackPathFor(join(dir, 'pommai.db')),
    log: log.log,
    retryMinMs: 10,
    retryMaxMs: 40,
    ...extra,
  });
}

t.test('fallbackPathFor puts the file beside the database', async (t) => {
  t.equal(fallbackPathFor(join('data', 'pommai.db')), join('data', 'pommai.db.unsaved.jsonl'));
});

t.test('a working store gets every turn at once', async (t) => {
  const dir = t.testdir();
  const store = await SqliteStore.open(join(dir, 'pommai.db'));
  t.teardown(() => store.close());
  const log = recorder();
  const turns = turnLog(store, dir, log);
  for (let n = 1; n <= 3; n++) turns.write(kidTurn(n));
  await turns.flush();
  t.strictSame(await kidIds(store), ['kid-1', 'kid-2', 'kid-3']);
  t.equal(turns.pending, 0);
  t.strictSame(log.entries, [], 'nothing to report');
  t.equal(existsSync(fallbackPathFor(join(dir, 'pommai.db'))), false, 'no fallback file');
});

t.test('a full store: turns wait, retries back off, and they land once space is freed', async (t) => {
  const dir = t.testdir();
  const store = await fullStore(t, dir);
  let saves = 0;
  const counting: Store = Object.assign(Object.create(store) as Store, {
    saveTurn: (turn: TurnRecord) => {
      saves++;
      return store.saveTurn(turn);
    },
  });
  const log = recorder();
  const retries = manualSchedule();
  const turns = turnLog(counting, dir, log, { schedule: retries.schedule });

  for (let n = 1; n <= 3; n++) turns.write(kidTurn(n));
  const first = await retries.nth(1);
  await log.until(() => log.count('turn not saved yet; will retry') === 1, 'the failure reported');
  t.equal(turns.pending, 3, 'all three held');
  t.equal(log.count('turn not saved yet; will retry'), 1, 'one line when the store starts failing, not one per turn');
  t.equal(first.delayMs, 10, 'first retry after the minimum delay');
  const warning = log.entries[0];
  t.equal(warning?.level, 'warn');
  t.equal(warning?.fields.code, 'store_full');
  t.equal(warning?.fields.turnId, 'kid-1');
  t.notMatch(JSON.stringify(log.entries), /dragon/, 'logs never carry what was said');

  t.equal(saves, 3);
  turns.write(kidTurn(4));
  t.equal(saves, 3, 'a new turn queues behind the held ones instead of hitting the failing store');
  t.equal(turns.pending, 4);

  first.run();
  const second = await retries.nth(2);
  t.equal(second.delayMs, 20, 'the delay doubles while the store stays full');
  t.equal(log.count('retry failed; turns still waiting'), 1);
  t.equal(saves, 4, 'a retry stops at the first refusal');
  second.run();
  t.equal((await retries.nth(3)).delayMs, 40);
  retries.calls[2]?.run();
  t.equal((await retries.nth(4)).delayMs, 40, 'and stops growing at the maximum');

  t.equal(await store.deleteTurns('filler') > 0, true, 'a parent deletes old turns, freeing space');
  retries.calls[3]?.run();
  const recovered = await log.until((entry) => entry.message === 'store took the waiting turns', 'recovery');
  t.equal(recovered.fields.saved, 4);
  t.equal(turns.pending, 0);
  t.strictSame(await kidIds(store), ['kid-1', 'kid-2', 'kid-3', 'kid-4']);
  t.equal(turns.spilled, 0);
  t.equal(existsSync(fallbackPathFor(join(dir, 'pommai.db'))), false, 'nothing needed the fallback file');
});

t.test('the real timer retries on its own', async (t) => {
  const dir = t.testdir();
  const store = await fullStore(t, dir);
  const log = recorder();
  const turns = turnLog(store, dir, log, { retryMinMs: 1, retryMaxMs: 2 });
  turns.write(kidTurn(1));
  await log.until((entry) => entry.message === 'turn not saved yet; will retry', 'the failure');
  await store.deleteTurns('filler');
  await log.until((entry) => entry.message === 'store took the waiting turns', 'the retry');
  t.strictSame(await kidIds(store), ['kid-1']);
});

t.test('when the queue is full, turns go to the fallback file; nothing is lost', async (t) => {
  const dir = t.testdir();
  const store = await fullStore(t, dir);
  const log = recorder();
  const turns = turnLog(store, dir, log, { maxPending: 2, schedule: manualSchedule().schedule });
  const all = [1, 2, 3, 4, 5].map((n) => kidTurn(n));
  for (const turn of all) turns.write(turn);
  t.equal(turns.pending, 2);
  t.equal(turns.spilled, 3);
  const path = fallbackPathFor(join(dir, 'pommai.db'));
  t.strictSame(fallbackLines(path), all.slice(2), 'the overflow is on disk, whole');
  const spills = log.entries.filter((entry) => entry.message === 'turn written to the fallback file instead of the store');
  t.strictSame(spills.map((entry) => [entry.level, entry.fields.reason, entry.fields.spilled]), [['error', 'queue_full', 1]], 'the first spill says why; the rest are counted');

  await store.deleteTurns('filler');
  await turns.flush();
  t.equal(turns.pending, 0);
  t.strictSame(await kidIds(store), ['kid-1', 'kid-2']);
  const kept = [...(await kidIds(store)), ...fallbackLines(path).map((turn) => turn.id)].sort();
  t.strictSame(kept, all.map((turn) => turn.id).sort(), 'every turn is in the store or the fallback file');
  t.equal(turns.lost, 0);
});

t.test('flush at shutdown writes what the store still refuses to the fallback file', async (t) => {
  const dir = t.testdir();
  const store = await fullStore(t, dir);
  const log = recorder();
  const retries = manualSchedule();
  const turns = turnLog(store, dir, log, { schedule: retries.schedule });
  turns.write(kidTurn(1));
  turns.write(kidTurn(2));
  await retries.nth(1);
  await turns.flush();
  t.equal(turns.pending, 0, 'nothing left only in memory');
  t.strictSame(fallbackLines(fallbackPathFor(join(dir, 'pommai.db'))), [kidTurn(1), kidTurn(2)]);
  t.equal(retries.calls[0]?.cancelled, true, 'the scheduled retry is cancelled');
  t.equal(retries.calls.length, 1, 'and no new one is scheduled');
  t.equal(log.count('retry failed; turns still waiting'), 1, 'flush tried the store once more first');
});

t.test('a store that refuses outright sends the turn to the fallback file at once', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'pommai.db');
  await (await SqliteStore.open(path)).close();
  const store = await SqliteStore.open(path, { readonly: true });
  t.teardown(() => store.close());
  const log = recorder();
  const retries = manualSchedule();
  const turns = turnLog(store, dir, log, { schedule: retries.schedule });
  turns.write(kidTurn(1));
  const spill = await log.until((entry) => entry.message.startsWith('turn written to the fallback file'), 'the spill');
  t.equal(spill.level, 'error');
  t.equal(spill.fields.reason, 'store_unavailable');
  t.match(String(spill.fields.error), /SQLITE_READONLY/);
  t.strictSame(fallbackLines(fallbackPathFor(path)), [kidTurn(1)]);
  t.equal(retries.calls.length, 0, 'no retry for a store that will not take writes');
  t.equal(turns.pending, 0);
});

t.test('when the fallback file cannot be written either, the loss is counted and logged', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'pommai.db');
  await (await SqliteStore.open(path)).close();
  const store = await SqliteStore.open(path, { readonly: true });
  t.teardown(() => store.close());
  const log = recorder();
  const turns = turnLog(store, dir, log, { fallbackPath: dir });
  turns.write(kidTurn(1));
  const lost = await log.until((entry) => /fallback file refuses records/.test(entry.message), 'the loss');
  t.equal(lost.level, 'error');
  t.equal(lost.fields.refused, 1);
  t.equal(lost.fields.code, 'EISDIR');
  await waitFor(() => turns.lost === 1, 'the loss counted');
});

t.test('a full disk under the fallback file (/dev/full): every loss counted, one log line, no exception', { skip: existsSync('/dev/full') ? false : 'no /dev/full here' }, async (t) => {
  const dir = t.testdir();
  const store = await fullStore(t, dir);
  const log = recorder();
  const turns = turnLog(store, dir, log, { fallbackPath: '/dev/full', maxPending: 2, schedule: manualSchedule().schedule });
  const all = Array.from({ length: 50 }, (_, i) => kidTurn(i + 1));
  for (const turn of all) turns.write(turn);
  t.equal(turns.pending, 2, 'the queue holds what it may');
  t.equal(turns.lost, 48, 'the overflow is lost, and counted');
  t.equal(turns.spillProblem, 'ENOSPC');
  const lines = log.entries.filter((entry) => /fallback file refuses records/.test(entry.message));
  t.equal(lines.length, 1, 'one line for the whole run of losses');
  t.equal(lines[0]?.fields.code, 'ENOSPC');
  await turns.flush();
  t.equal(turns.lost, 50, 'at shutdown the two held turns could go nowhere either');
  t.equal(log.entries.filter((entry) => /fallback file refuses records/.test(entry.message)).length, 1, 'still one line');
});

t.test('the fallback file has its own cap in bytes: past it turns are refused, counted, logged once', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'pommai.db');
  await (await SqliteStore.open(path)).close();
  const store = await SqliteStore.open(path, { readonly: true });
  t.teardown(() => store.close());
  const log = recorder();
  const oneTurn = Buffer.byteLength(`${JSON.stringify(kidTurn(1))}\n`);
  const turns = turnLog(store, dir, log, { maxSpillBytes: oneTurn * 3 + 10, schedule: manualSchedule().schedule });
  for (let n = 1; n <= 6; n++) turns.write(kidTurn(n));
  await waitFor(() => turns.spilled + turns.lost === 6, 'every turn spilled or refused');
  t.equal(turns.spilled, 3);
  t.equal(turns.lost, 3);
  t.equal(turns.spillProblem, 'over_cap');
  t.strictSame(fallbackLines(fallbackPathFor(path)).map((turn) => turn.id), ['kid-1', 'kid-2', 'kid-3']);
  t.equal(log.entries.filter((entry) => /fallback file refuses records/.test(entry.message)).length, 1);
});

t.test('records of one turn as it goes: a newer one replaces the one waiting, and a stale failure never comes back', async (t) => {
  const dir = t.testdir();
  const store = await fullStore(t, dir);
  const log = recorder();
  const retries = manualSchedule();
  const turns = turnLog(store, dir, log, { schedule: retries.schedule });
  const started = kidTurn(1, { outcome: 'started', transcript: '', reply: '' });
  const heard = kidTurn(1, { outcome: 'heard', reply: '' });
  turns.write(started);
  turns.write(heard);
  await retries.nth(1);
  t.equal(turns.pending, 1, 'the older save failed after the newer was written: only the newer waits');
  turns.write(kidTurn(1));
  t.equal(turns.pending, 1, 'the ended record takes the waiting one\'s place');
  await store.deleteTurns('filler');
  retries.calls[0]?.run();
  await log.until((entry) => entry.message === 'store took the waiting turns', 'recovery');
  const saved = await store.listTurns({ deviceId: 'toy-1' });
  t.strictSame(saved.map((turn) => [turn.id, turn.outcome]), [['kid-1', 'answered']]);
  t.equal(turns.pending, 0);
});

import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import type { Test } from 'tap';
import { SECRET_LENGTH } from '../../protocol/index.js';
import { ProviderError } from '../providers/provider-error.js';
import { MIGRATIONS } from './sqlite-migrations.js';
import { SqliteStore } from './sqlite-store.js';
import { fillStore } from './testing/fill-store.js';
import { SAMPLE_FACTS, sampleTurn, storeContract } from './testing/store-contract.js';

const contractDir = t.testdir();
let contractFiles = 0;
storeContract(t, 'SqliteStore', () => SqliteStore.open(join(contractDir, `contract-${++contractFiles}.db`)));

async function openStore(t: Test, path: string, options?: Parameters<typeof SqliteStore.open>[1]): Promise<SqliteStore> {
  const store = await SqliteStore.open(path, options);
  t.teardown(() => store.close());
  return store;
}

function inspect(t: Test, path: string): Database.Database {
  const db = new Database(path);
  t.teardown(() => db.close());
  return db;
}

async function failure(t: Test, work: Promise<unknown>): Promise<ProviderError> {
  try {
    await work;
  } catch (err) {
    t.type(err, ProviderError);
    return err as ProviderError;
  }
  t.fail('expected a failure');
  return new ProviderError('none', 'did not fail');
}

t.test('creates missing directories, uses WAL, records the schema version', async (t) => {
  const path = join(t.testdir(), 'a', 'b', 'pommai.db');
  const store = await openStore(t, path);
  await store.saveTurn(sampleTurn());
  await store.close();
  const db = inspect(t, path);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.strictSame(db.prepare('SELECT version FROM schema_version').pluck().all(), [1, 2, 3]);
});

t.test('migrations run once; reopening keeps data and schema', async (t) => {
  const path = join(t.testdir(), 'pommai.db');
  const first = await SqliteStore.open(path);
  const secret = await first.addDevice('toy-1');
  await first.saveTurn(sampleTurn());
  await first.close();
  for (let i = 0; i < 2; i++) {
    const again = await SqliteStore.open(path);
    t.strictSame(await again.listTurns({}), [sampleTurn()], `turns survive reopen ${i + 1}`);
    t.equal(await again.verifyDevice('toy-1', secret), true, `devices survive reopen ${i + 1}`);
    await again.close();
  }
  const db = inspect(t, path);
  t.strictSame(db.prepare('SELECT version FROM schema_version').pluck().all(), [1, 2, 3], 'no migration ran twice');
});

t.test('a database from before parent settings is upgraded, its devices kept with none chosen', async (t) => {
  const path = join(t.testdir(), 'v1.db');
  const db = new Database(path);
  db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  db.exec(MIGRATIONS[0]!.sql);
  db.prepare('INSERT INTO schema_version VALUES (1, ?)').run(new Date().toISOString());
  db.prepare("INSERT INTO devices VALUES ('old-toy', 'x', '2026-01-01T00:00:00.000Z')").run();
  db.close();
  const store = await openStore(t, path);
  t.strictSame(await store.listDevices(), [{ id: 'old-toy', createdAt: '2026-01-01T00:00:00.000Z', settings: {} }]);
  t.strictSame(await store.updateDeviceSettings('old-toy', { locked: true }), { locked: true });
});

t.test('a database from before conversation memory is upgraded, its turns and devices kept', async (t) => {
  const path = join(t.testdir(), 'v2.db');
  const db = new Database(path);
  db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  for (const migration of MIGRATIONS.filter((m) => m.version <= 2)) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_version VALUES (?, ?)').run(migration.version, new Date().toISOString());
  }
  db.prepare(`INSERT INTO devices VALUES ('old-toy', 'x', '2026-01-01T00:00:00.000Z', '{"locked":true}')`).run();
  db.close();
  const store = await openStore(t, path);
  await store.saveTurn(sampleTurn({ deviceId: 'old-toy' }));
  t.strictSame(await store.deviceSettings('old-toy'), { locked: true });
  t.equal(await store.conversation('old-toy', 'pommai'), undefined);
  await store.saveConversation('old-toy', 'pommai', { summary: 'we sang', messages: [] });
  await store.putKnowledge('pommai', SAMPLE_FACTS);
  t.equal((await store.searchKnowledge('pommai', 'lettuce', 1))[0]?.id, 'food');
});

t.test('conversations and knowledge survive reopening', async (t) => {
  const path = join(t.testdir(), 'pommai.db');
  const first = await SqliteStore.open(path);
  await first.saveConversation('toy-1', 'pommai', { summary: 'we sang', messages: [{ role: 'user', content: 'sing again' }] });
  await first.putKnowledge('pommai', SAMPLE_FACTS);
  await first.close();
  const again = await openStore(t, path);
  t.strictSame((await again.conversation('toy-1', 'pommai'))?.messages, [{ role: 'user', content: 'sing again' }]);
  t.equal((await again.searchKnowledge('pommai', 'lettuce', 1))[0]?.id, 'food');
});

t.test("replacing a toy's knowledge leaves no stale entries in the search index", async (t) => {
  const path = join(t.testdir(), 'pommai.db');
  const store = await openStore(t, path);
  for (let i = 0; i < 3; i++) await store.putKnowledge('pommai', SAMPLE_FACTS);
  await store.putKnowledge('pommai', SAMPLE_FACTS.slice(0, 2));
  const db = inspect(t, path);
  // The FTS5 integrity check fails when the index and the facts it indexes disagree.
  db.exec("INSERT INTO knowledge_search (knowledge_search) VALUES ('integrity-check')");
  t.equal(db.prepare("SELECT COUNT(*) FROM knowledge WHERE toy_id = 'pommai'").pluck().get(), 2);
  t.strictSame(await store.searchKnowledge('pommai', 'lettuce', 5), []);
});

t.test('refuses a database written by newer code', async (t) => {
  const path = join(t.testdir(), 'pommai.db');
  await (await SqliteStore.open(path)).close();
  const db = new Database(path);
  db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (99, ?)').run(new Date().toISOString());
  db.close();
  const err = await failure(t, SqliteStore.open(path));
  t.equal(err.code, 'store_unavailable');
  t.equal(err.retryable, false);
  t.match(err.message, /v99 is newer/);
});

t.test('device secrets are kept only as salted hashes', async (t) => {
  const path = join(t.testdir(), 'pommai.db');
  const store = await openStore(t, path);
  const shared = 'the same pairing secret';
  await store.addDeviceWithSecret('toy-1', shared);
  await store.addDeviceWithSecret('toy-2', shared);
  const generated = await store.addDevice('toy-3');
  await store.close();
  const bytes = readFileSync(path);
  t.equal(bytes.includes(shared), false, 'the chosen secret is not in the file');
  t.equal(bytes.includes(generated), false, 'the generated secret is not in the file');
  const hashes = inspect(t, path).prepare('SELECT secret_hash FROM devices ORDER BY id').pluck().all() as string[];
  t.equal(hashes.length, 3);
  t.not(hashes[0], hashes[1], 'one secret on two devices hashes differently');
  for (const hash of hashes) t.match(hash, /^scrypt\$/);
});

t.test('a full store fails with store_full, retryable, and works again once space is freed', async (t) => {
  const store = await openStore(t, join(t.testdir(), 'pommai.db'), { maxSizeBytes: 96 * 1024 });
  const { saved, error } = await fillStore(store);
  t.ok(saved > 0, `${saved} turns fitted first`);
  t.equal(error.code, 'store_full');
  t.equal(error.retryable, true);
  t.match(error.message, /SQLITE_FULL/);
  const again = await failure(t, store.saveTurn(sampleTurn({ id: 'kid-1' })));
  t.equal(again.code, 'store_full', 'it stays full, it does not swallow the write');
  t.equal((await store.listTurns({ deviceId: 'toy-1' })).length, 0);
  t.equal(await store.deleteTurns('filler'), saved);
  await store.saveTurn(sampleTurn({ id: 'kid-1' }));
  t.equal((await store.listTurns({ deviceId: 'toy-1' }))[0]?.id, 'kid-1');
});

t.test('a read-only open reads, and every write fails with store_unavailable', async (t) => {
  const path = join(t.testdir(), 'pommai.db');
  const writer = await SqliteStore.open(path);
  await writer.saveTurn(sampleTurn());
  await writer.close();
  const reader = await openStore(t, path, { readonly: true });
  t.strictSame(await reader.listTurns({}), [sampleTurn()]);
  t.equal(await reader.conversation('toy-1', 'pommai'), undefined);
  t.strictSame(await reader.searchKnowledge('pommai', 'carrot', 5), []);
  const writes = [
    () => reader.saveTurn(sampleTurn({ id: 'turn-2' })),
    () => reader.addDevice('toy-1'),
    () => reader.deleteTurns('toy-1'),
    () => reader.saveConversation('toy-1', 'pommai', { summary: '', messages: [] }),
    () => reader.putKnowledge('pommai', SAMPLE_FACTS),
  ];
  for (const write of writes) {
    const err = await failure(t, write());
    t.equal(err.code, 'store_unavailable');
    t.equal(err.retryable, false);
    t.match(err.message, /SQLITE_READONLY/);
  }
});

t.test('a read-only open of a missing or unmigrated file fails clearly', async (t) => {
  const dir = t.testdir();
  const missing = await failure(t, SqliteStore.open(join(dir, 'missing.db'), { readonly: true }));
  t.equal(missing.code, 'store_unavailable');
  new Database(join(dir, 'empty.db')).close();
  const empty = await failure(t, SqliteStore.open(join(dir, 'empty.db'), { readonly: true }));
  t.equal(empty.code, 'store_unavailable');
  t.match(empty.message, /needs migrating/);
});

t.test('a database file the process may not write fails with store_unavailable', async (t) => {
  const path = join(t.testdir(), 'pommai.db');
  await (await SqliteStore.open(path)).close();
  chmodSync(path, 0o444);
  let immutable = false;
  if (writable(path)) {
    // A privileged process ignores file modes; the immutable attribute binds it too.
    try {
      execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
      immutable = true;
    } catch {
      t.plan(0, 'this process can write any file and cannot set the immutable attribute here');
      return;
    }
  }
  let err: ProviderError | undefined;
  let store: SqliteStore | undefined;
  try {
    store = await SqliteStore.open(path);
    await store.saveTurn(sampleTurn());
  } catch (caught) {
    err = caught as ProviderError;
  } finally {
    await store?.close();
    // Undone here rather than in a teardown, which would run after tap tries to remove the directory.
    if (immutable) execFileSync('chattr', ['-i', path], { stdio: 'ignore' });
    chmodSync(path, 0o644);
  }
  t.type(err, ProviderError, 'opening or writing failed');
  t.equal(err?.code, 'store_unavailable');
  t.equal(err?.retryable, false);
});

t.test('a locked database fails with store_unavailable, retryable, after the busy timeout', async (t) => {
  const path = join(t.testdir(), 'pommai.db');
  const store = await openStore(t, path, { busyTimeoutMs: 20 });
  const other = inspect(t, path);
  other.exec('BEGIN IMMEDIATE');
  const err = await failure(t, store.saveTurn(sampleTurn()));
  t.equal(err.code, 'store_unavailable');
  t.equal(err.retryable, true);
  t.match(err.message, /SQLITE_BUSY/);
  other.exec('ROLLBACK');
  await store.saveTurn(sampleTurn());
  t.equal((await store.listTurns({})).length, 1);
});

t.test('cannot open where a file stands in for the directory', async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, 'not-a-dir'), '');
  const err = await failure(t, SqliteStore.open(join(dir, 'not-a-dir', 'pommai.db')));
  t.equal(err.code, 'store_unavailable');
  t.equal(err.retryable, false);
});

t.test('a closed store refuses work; closing twice is fine', async (t) => {
  const store = await SqliteStore.open(join(t.testdir(), 'pommai.db'));
  await store.close();
  await store.close();
  const err = await failure(t, store.listTurns({}));
  t.equal(err.code, 'store_unavailable');
  t.equal(err.retryable, false);
});

t.test('bad input is refused with its own code', async (t) => {
  const store = await openStore(t, join(t.testdir(), 'pommai.db'));
  t.equal((await failure(t, store.saveTurn(sampleTurn({ startedAt: 'yesterday' })))).code, 'invalid_turn');
  t.equal((await failure(t, store.listTurns({ limit: -1 }))).code, 'invalid_query');
  t.equal((await failure(t, store.listTurns({ limit: 1.5 }))).code, 'invalid_query');
  t.equal((await failure(t, store.addDevice(''))).code, 'invalid_device_id');
  t.equal((await failure(t, store.addDeviceWithSecret('toy-1', ''))).code, 'invalid_secret');
  t.equal((await failure(t, store.addDeviceWithSecret('toy-1', 'x'.repeat(SECRET_LENGTH.max + 1)))).code, 'invalid_secret');
  t.strictSame(await store.listDevices(), [], 'nothing half-registered');
  t.equal(await store.verifyDevice('toy-1', 'x'.repeat(100_000)), false);
});

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

t.test('on a full disk (a file-size limit below the -shm file) the store opens degraded: it reads, and writes fail retryably', async (t) => {
  const path = join(t.testdir(), 'gateway.db');
  const store = await SqliteStore.open(path);
  await store.addDeviceWithSecret('toy-1', 'a-long-enough-test-secret');
  t.equal(store.degraded, undefined, 'a healthy disk: not degraded');
  await store.close();
  // `ulimit -f 16` (16 KiB) lets the 64 KiB database be read but no file grow past 16 KiB, as a
  // full disk would: WAL's 32 KiB -shm file cannot be made, which failed the open with
  // SQLITE_IOERR_SHMSIZE. SIGXFSZ is ignored, so the writes fail with EFBIG instead of killing the process.
  const child = join(import.meta.dirname, 'testing', 'open-store-child.ts');
  const output = execFileSync('sh', ['-c', "trap '' XFSZ; ulimit -f 16 && exec \"$0\" \"$@\"", process.execPath, '--import', 'tsx', child, path], { encoding: 'utf8' });
  const result = JSON.parse(output.trim()) as Record<string, unknown>;
  t.match(result, { opened: true, devices: ['toy-1'], saveError: 'store_unavailable' });
  t.match(String(result['degraded']), /SQLITE_IOERR_SHMSIZE.*exclusive lock/);
  const again = await openStore(t, path);
  t.equal(again.degraded, undefined, 'with room again, a normal open');
  t.equal((await again.listTurns({})).length, 0, 'the refused write left nothing half-done');
});

import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { fillStore } from './testing/fill-store.js';
import { replayFallback } from './replay-fallback.js';
import { SqliteStore } from './sqlite-store.js';
import type { SqliteStoreOptions } from './sqlite-store.js';
import type { TurnRecord } from './store.js';
import { sampleTurn } from './testing/store-contract.js';
import { fallbackPathFor } from './turn-log.js';
import type { LogLevel } from '../../log/log.js';

function kidTurn(n: number): TurnRecord {
  return sampleTurn({ id: `kid-${n}`, turn: n, startedAt: new Date(Date.UTC(2024, 4, 1, 10, n)).toISOString() });
}

const line = (turn: unknown) => `${JSON.stringify(turn)}\n`;

async function setup(t: Test, options?: SqliteStoreOptions) {
  const dir = t.testdir();
  const database = join(dir, 'pommai.db');
  const store = await SqliteStore.open(database, options);
  t.teardown(() => store.close());
  const logs: { level: LogLevel; message: string; fields: Readonly<Record<string, unknown>> | undefined }[] = [];
  const log = (level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>) =>
    logs.push({ level, message, fields });
  const ids = async () => (await store.listTurns({ deviceId: 'toy-1' })).map((turn) => turn.id).sort();
  return { store, fallback: fallbackPathFor(database), logs, log, ids };
}

t.test('no fallback file: nothing to do, nothing logged', async (t) => {
  const { store, fallback, logs, log } = await setup(t);
  t.strictSame(await replayFallback(store, fallback, log), { saved: 0, returned: 0, rejected: 0 });
  t.strictSame(logs, []);
});

t.test('saves the turns, sets aside lines it can never save, and removes the file', async (t) => {
  const { store, fallback, logs, log, ids } = await setup(t);
  const garbage = '{"id": "half a line';
  const unreadable = sampleTurn({ id: 'bad-time', startedAt: 'yesterday' });
  writeFileSync(fallback, line(kidTurn(1)) + line(kidTurn(2)) + `${garbage}\n\n` + line(unreadable) + line(kidTurn(3)));
  t.strictSame(await replayFallback(store, fallback, log), { saved: 3, returned: 0, rejected: 2 });
  t.strictSame(await ids(), ['kid-1', 'kid-2', 'kid-3']);
  t.strictSame((await store.listTurns({ deviceId: 'toy-1' })).at(-1), kidTurn(1), 'whole turns come back');
  t.equal(existsSync(fallback), false);
  t.equal(existsSync(`${fallback}.replaying`), false);
  t.equal(readFileSync(`${fallback}.rejected`, 'utf8'), `${garbage}\n` + line(unreadable));
  t.equal(logs[0]?.level, 'error', 'rejected lines are worth an error');
});

t.test('a store that is still full gets the turns back into the fallback file', async (t) => {
  const { store, fallback, log, ids } = await setup(t, { maxSizeBytes: 96 * 1024 });
  await fillStore(store);
  const content = line(kidTurn(1)) + line(kidTurn(2));
  writeFileSync(fallback, content);
  t.strictSame(await replayFallback(store, fallback, log), { saved: 0, returned: 2, rejected: 0 });
  t.equal(readFileSync(fallback, 'utf8'), content, 'the same turns, waiting for next time');
  t.equal(existsSync(`${fallback}.replaying`), false);
  await store.deleteTurns('filler');
  t.strictSame(await replayFallback(store, fallback, log), { saved: 2, returned: 0, rejected: 0 });
  t.strictSame(await ids(), ['kid-1', 'kid-2']);
});

t.test('an interrupted replay is finished first, then the current file', async (t) => {
  const { store, fallback, log, ids } = await setup(t);
  writeFileSync(`${fallback}.replaying`, line(kidTurn(1)) + line(kidTurn(2)));
  writeFileSync(fallback, line(kidTurn(2)) + line(kidTurn(3)));
  t.strictSame(await replayFallback(store, fallback, log), { saved: 4, returned: 0, rejected: 0 });
  t.strictSame(await ids(), ['kid-1', 'kid-2', 'kid-3'], 'a turn replayed twice is stored once');
  t.equal(existsSync(fallback), false);
  t.equal(existsSync(`${fallback}.replaying`), false);
});

t.test('a disk that refuses to take a line aside stops the replay without an exception; the file stays for next time', async (t) => {
  const { store, fallback, logs, log, ids } = await setup(t);
  writeFileSync(fallback, line(kidTurn(1)) + 'not a turn\n' + line(kidTurn(2)));
  // A directory where the rejected lines go: appending to it fails as a full disk would.
  mkdirSync(`${fallback}.rejected`);
  const result = await replayFallback(store, fallback, log);
  t.match(result, { saved: 1, rejected: 0, unfinished: 'EISDIR' });
  t.strictSame(await ids(), ['kid-1']);
  t.ok(existsSync(`${fallback}.replaying`), 'the file worked on is kept');
  t.equal(logs.length, 1, 'one line says what happened');
  t.match(logs[0], { level: 'error', fields: { unfinished: 'EISDIR' } });

  rmdirSync(`${fallback}.rejected`);
  const again = await replayFallback(store, fallback, log);
  t.match(again, { saved: 2, rejected: 1 });
  t.equal(again.unfinished, undefined);
  t.strictSame(await ids(), ['kid-1', 'kid-2'], 'replaying kid-1 again is harmless');
  t.notOk(existsSync(`${fallback}.replaying`));
});

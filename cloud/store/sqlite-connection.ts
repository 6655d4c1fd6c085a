import { chmodSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { migrate, requireLatest } from './sqlite-migrations.js';
import type { SqliteStoreOptions } from './sqlite-store.js';

/** Opens and prepares the file; `exclusive` keeps WAL's index in this process's memory, not in the -shm file. */
export function sqliteConnection(path: string, options: SqliteStoreOptions, exclusive: boolean): BetterSqlite3.Database {
  const readonly = options.readonly ?? false;
  const busyTimeoutMs = options.busyTimeoutMs ?? 2000;
  let db: BetterSqlite3.Database | undefined;
  try {
    const Database = loadDriver();
    db = new Database(path, { readonly, fileMustExist: readonly });
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    if (readonly) {
      requireLatest(db);
    } else {
      // Set before the first access in WAL mode, or SQLite asks for the shared memory all the same.
      if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL survives a crashed process; only power loss can cost the last commits,
      // while FULL would put an fsync on the event loop for every turn.
      db.pragma('synchronous = NORMAL');
      migrate(db);
      // Children's words live here: only the gateway's own user may read them.
      for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
    }
    if (options.maxSizeBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxSizeBytes / pageSize))}`);
    }
    return db;
  } catch (err) {
    db?.close();
    throw err;
  }
}

/** A disk that will not take more (full, over a file-size limit, failing): worth an open that needs no -shm file. */
export function isDiskRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || ['ENOSPC', 'EFBIG', 'EDQUOT', 'EIO'].includes(code);
}

// Loaded on first open, so processes that never touch SQLite do not pay for the native module.
function loadDriver(): typeof BetterSqlite3 {
  const require = createRequire(import.meta.url);
  return require('better-sqlite3') as typeof BetterSqlite3;
}

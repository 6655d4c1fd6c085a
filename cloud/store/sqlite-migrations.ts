import type BetterSqlite3 from 'better-sqlite3';
import { ProviderError } from '../providers/provider-error.js';

export interface Migration {
  readonly version: number;
  readonly sql: string;
}

/**
 * Forward only: a released migration is never edited, a change is a new entry at the end.
 * Turns keep the caller's `started_at` text for the round trip and order by `started_ms`, because
 * ISO strings of different precision or offset do not sort as text ("...00Z" > "...00.5Z").
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE devices (
        id          TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        created_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE turns (
        id            TEXT PRIMARY KEY,
        device_id     TEXT NOT NULL,
        session_id    TEXT NOT NULL,
        turn          INTEGER NOT NULL,
        started_at    TEXT NOT NULL,
        started_ms    INTEGER NOT NULL,
        transcript    TEXT NOT NULL,
        reply         TEXT NOT NULL,
        outcome       TEXT NOT NULL,
        safety        TEXT NOT NULL,
        timings       TEXT NOT NULL,
        error_code    TEXT,
        error_message TEXT
      ) STRICT;

      CREATE INDEX turns_by_device_and_time ON turns (device_id, started_ms);
      CREATE INDEX turns_by_time ON turns (started_ms);
    `,
  },
  {
    version: 2,
    // The parent's choices as JSON, only what was chosen: a missing key means the gateway's default.
    sql: `ALTER TABLE devices ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';`,
  },
  {
    version: 3,
    // Conversation memory: one row per device and toy, the messages as JSON because they are only
    // ever read and written whole. Knowledge: the facts in a plain table (the record) and an FTS5
    // index over it kept in step by triggers. The index reads `keywords` as the JSON text, which the
    // tokenizer splits into the words. `id` is an INTEGER PRIMARY KEY because VACUUM may renumber an
    // implicit rowid and the index refers to it. Porter stemming lets "carrots" find "carrot".
    sql: `
      CREATE TABLE conversations (
        device_id  TEXT NOT NULL,
        toy_id     TEXT NOT NULL,
        summary    TEXT NOT NULL,
        messages   TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (device_id, toy_id)
      ) STRICT;

      CREATE TABLE knowledge (
        id       INTEGER PRIMARY KEY,
        toy_id   TEXT NOT NULL,
        fact_id  TEXT NOT NULL,
        position INTEGER NOT NULL,
        text     TEXT NOT NULL,
        keywords TEXT NOT NULL,
        UNIQUE (toy_id, fact_id)
      ) STRICT;

      CREATE VIRTUAL TABLE knowledge_search USING fts5(
        text, keywords,
        content = 'knowledge', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
      );

      CREATE TRIGGER knowledge_added AFTER INSERT ON knowledge BEGIN
        INSERT INTO knowledge_search (rowid, text, keywords) VALUES (new.id, new.text, new.keywords);
      END;
      CREATE TRIGGER knowledge_removed AFTER DELETE ON knowledge BEGIN
        INSERT INTO knowledge_search (knowledge_search, rowid, text, keywords) VALUES ('delete', old.id, old.text, old.keywords);
      END;
      CREATE TRIGGER knowledge_changed AFTER UPDATE ON knowledge BEGIN
        INSERT INTO knowledge_search (knowledge_search, rowid, text, keywords) VALUES ('delete', old.id, old.text, old.keywords);
        INSERT INTO knowledge_search (rowid, text, keywords) VALUES (new.id, new.text, new.keywords);
      END;
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** Brings the schema to LATEST_VERSION; returns the version found before. Safe to run on every open. */
export function migrate(db: BetterSqlite3.Database): number {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening the
  // same new file cannot both apply migration 1.
  const run = db.transaction((): number => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
      version    INTEGER PRIMARY KEY,
      applied_at TEXT NOT NULL
    ) STRICT`);
    const before = currentVersion(db);
    refuseNewer(before);
    const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
    for (const migration of MIGRATIONS) {
      if (migration.version <= before) continue;
      db.exec(migration.sql);
      record.run(migration.version, new Date().toISOString());
    }
    return before;
  });
  return run.immediate();
}

/** For read-only opens, which cannot migrate: the file must already be at the version this code knows. */
export function requireLatest(db: BetterSqlite3.Database): void {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .get();
  const version = hasTable === undefined ? 0 : currentVersion(db);
  refuseNewer(version);
  if (version < LATEST_VERSION) {
    throw new ProviderError(
      'store_unavailable',
      `database schema v${version} needs migrating to v${LATEST_VERSION}; open it once read-write`,
    );
  }
}

export function currentVersion(db: BetterSqlite3.Database): number {
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null };
  return row.version ?? 0;
}

function refuseNewer(version: number): void {
  if (version > LATEST_VERSION) {
    throw new ProviderError(
      'store_unavailable',
      `database schema v${version} is newer than this code (v${LATEST_VERSION}); migrations only go forward`,
    );
  }
}

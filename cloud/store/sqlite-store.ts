import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ProviderError } from '../providers/provider-error.js';
import {
  checkConversation,
  knowledgeLimit,
  mergeSettings,
  normalizeKnowledge,
  settingsProblem,
  type Conversation,
  type ConversationMessage,
  type DeviceRecord,
  type KnowledgeFact,
  type KnowledgeFactInput,
  type ParentSettings,
  type SafetyRecord,
  type Store,
  type StoredConversation,
  type TurnRecord,
  type TurnStatus,
  INTERRUPTED_ERROR,
  TURN_PROGRESS,
} from './store.js';
import { searchTerms } from './search-terms.js';
import { hashDeviceSecret, newDeviceSecret, verifyDeviceSecret } from './device-secret.js';
import { isDiskRefusal, sqliteConnection } from './sqlite-connection.js';
import { sqliteError } from './sqlite-error.js';

export interface SqliteStoreOptions {
  /** Caps the file (rounded down to whole pages): past it writes fail with `store_full` instead of filling the disk. */
  readonly maxSizeBytes?: number;
  /** For readers such as a dashboard process: never migrates, every write fails with `store_unavailable`. */
  readonly readonly?: boolean;
  /** How long a write waits for another connection's lock. The wait blocks the event loop, so keep it short. */
  readonly busyTimeoutMs?: number;
}

export const DEFAULT_TURN_LIMIT = 50;
export const MAX_TURN_LIMIT = 1000;
const MAX_DEVICE_ID_LENGTH = 128;

interface TurnRow {
  id: string;
  device_id: string;
  session_id: string;
  turn: number;
  started_at: string;
  transcript: string;
  reply: string;
  outcome: string;
  safety: string;
  timings: string;
  error_code: string | null;
  error_message: string | null;
}

interface ConversationRow {
  summary: string;
  messages: string;
  updated_at: string;
}

interface FactRow {
  fact_id: string;
  text: string;
  keywords: string;
}

interface DeviceRow {
  id: string;
  created_at: string;
  settings: string;
}

const TURN_COLUMNS =
  'id, device_id, session_id, turn, started_at, transcript, reply, outcome, safety, timings, error_code, error_message';

/** The gateway's default Store: one SQLite file in WAL mode, driven synchronously through better-sqlite3. */
export class SqliteStore implements Store {
  readonly #db: BetterSqlite3.Database;
  readonly #path: string;
  readonly #saveTurn: BetterSqlite3.Statement<[Record<string, unknown>]>;
  readonly #interruptTurns: BetterSqlite3.Statement<[string, string]>;
  readonly #listTurns: BetterSqlite3.Statement<[number], TurnRow>;
  readonly #listDeviceTurns: BetterSqlite3.Statement<[string, number], TurnRow>;
  readonly #deleteTurns: BetterSqlite3.Statement<[string]>;
  readonly #putDevice: BetterSqlite3.Statement<[string, string, string]>;
  readonly #deviceHash: BetterSqlite3.Statement<[string], string>;
  readonly #listDevices: BetterSqlite3.Statement<[], DeviceRow>;
  readonly #deviceSettings: BetterSqlite3.Statement<[string], string>;
  readonly #setDeviceSettings: BetterSqlite3.Statement<[string, string]>;
  readonly #conversation: BetterSqlite3.Statement<[string, string], ConversationRow>;
  readonly #saveConversation: BetterSqlite3.Statement<[string, string, string, string, string]>;
  readonly #deleteConversations: BetterSqlite3.Statement<[string]>;
  readonly #deleteKnowledge: BetterSqlite3.Statement<[string]>;
  readonly #addFact: BetterSqlite3.Statement<[string, string, number, string, string]>;
  readonly #searchKnowledge: BetterSqlite3.Statement<[string, string, number], FactRow>;
  readonly #degraded: string | undefined;
  #closed = false;

  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const readonly = options.readonly ?? false;
    if (!readonly) {
      try {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      } catch (err) {
        throw sqliteError(err, `cannot create the directory for ${path}`);
      }
    }
    try {
      return new SqliteStore(sqliteConnection(path, options, false), path, undefined);
    } catch (err) {
      if (readonly || !isDiskRefusal(err)) throw sqliteError(err, `cannot open the store at ${path}`);
      // A full disk cannot take WAL's shared-memory file (SQLITE_IOERR_SHMSIZE), which every open
      // needs. With an exclusive lock SQLite keeps that index in the process's own memory instead:
      // the gateway reads its devices and answers children, at the price of other processes (the
      // CLI) not opening the file until a restart. Writes fail until there is room, and the turn
      // log holds or spills them meanwhile.
      try {
        const problem = `the disk refused the database's shared-memory file (${(err as { code?: string }).code ?? 'I/O error'}): opened with an exclusive lock, so other processes cannot open it until the gateway restarts with room on the disk`;
        return new SqliteStore(sqliteConnection(path, options, true), path, problem);
      } catch {
        throw sqliteError(err, `cannot open the store at ${path}`);
      }
    }
  }

  /** Why the store runs in a degraded mode (opened on a full disk), or undefined when it does not. */
  get degraded(): string | undefined {
    return this.#degraded;
  }

  private constructor(db: BetterSqlite3.Database, path: string, degraded: string | undefined) {
    this.#db = db;
    this.#path = path;
    this.#degraded = degraded;
    this.#saveTurn = db.prepare<[Record<string, unknown>]>(`
      INSERT INTO turns (id, device_id, session_id, turn, started_at, started_ms, transcript, reply,
                         outcome, safety, timings, error_code, error_message)
      VALUES (@id, @deviceId, @sessionId, @turn, @startedAt, @startedMs, @transcript, @reply,
              @outcome, @safety, @timings, @errorCode, @errorMessage)
      ON CONFLICT (id) DO UPDATE SET
        device_id = excluded.device_id, session_id = excluded.session_id, turn = excluded.turn,
        started_at = excluded.started_at, started_ms = excluded.started_ms,
        transcript = excluded.transcript, reply = excluded.reply, outcome = excluded.outcome,
        safety = excluded.safety, timings = excluded.timings,
        error_code = excluded.error_code, error_message = excluded.error_message
      WHERE ${stageSql('excluded.outcome')} >= ${stageSql('turns.outcome')}`);
    this.#interruptTurns = db.prepare<[string, string]>(
      `UPDATE turns SET outcome = 'interrupted', error_code = ?, error_message = ? WHERE outcome IN (${TURN_PROGRESS.map((s) => `'${s}'`).join(', ')})`,
    );
    this.#listTurns = db.prepare<[number], TurnRow>(
      `SELECT ${TURN_COLUMNS} FROM turns ORDER BY started_ms DESC, rowid DESC LIMIT ?`,
    );
    this.#listDeviceTurns = db.prepare<[string, number], TurnRow>(
      `SELECT ${TURN_COLUMNS} FROM turns WHERE device_id = ? ORDER BY started_ms DESC, rowid DESC LIMIT ?`,
    );
    this.#deleteTurns = db.prepare<[string]>('DELETE FROM turns WHERE device_id = ?');
    // Re-adding keeps created_at: the device is the same one, only its secret changes.
    this.#putDevice = db.prepare<[string, string, string]>(`
      INSERT INTO devices (id, secret_hash, created_at) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash`);
    this.#deviceHash = db.prepare<[string], string>('SELECT secret_hash FROM devices WHERE id = ?').pluck();
    this.#listDevices = db.prepare<[], DeviceRow>('SELECT id, created_at, settings FROM devices ORDER BY created_at, id');
    this.#deviceSettings = db.prepare<[string], string>('SELECT settings FROM devices WHERE id = ?').pluck();
    this.#setDeviceSettings = db.prepare<[string, string]>('UPDATE devices SET settings = ? WHERE id = ?');
    this.#conversation = db.prepare<[string, string], ConversationRow>(
      'SELECT summary, messages, updated_at FROM conversations WHERE device_id = ? AND toy_id = ?',
    );
    this.#saveConversation = db.prepare<[string, string, string, string, string]>(`
      INSERT INTO conversations (device_id, toy_id, summary, messages, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (device_id, toy_id) DO UPDATE SET
        summary = excluded.summary, messages = excluded.messages, updated_at = excluded.updated_at`);
    this.#deleteConversations = db.prepare<[string]>('DELETE FROM conversations WHERE device_id = ?');
    this.#deleteKnowledge = db.prepare<[string]>('DELETE FROM knowledge WHERE toy_id = ?');
    this.#addFact = db.prepare<[string, string, number, string, string]>(
      'INSERT INTO knowledge (toy_id, fact_id, position, text, keywords) VALUES (?, ?, ?, ?, ?)',
    );
    // bm25 with the keywords weighing twice the text: a keyword is the fact saying what it is about.
    // The index spans every toy, so the toy filter is on the joined record.
    this.#searchKnowledge = db.prepare<[string, string, number], FactRow>(`
      SELECT k.fact_id, k.text, k.keywords
      FROM knowledge_search JOIN knowledge k ON k.id = knowledge_search.rowid
      WHERE knowledge_search MATCH ? AND k.toy_id = ?
      ORDER BY bm25(knowledge_search, 1.0, 2.0), k.position
      LIMIT ?`);
  }

  /** Saving an id that exists replaces it, so a retried save never duplicates a turn. */
  async saveTurn(turn: TurnRecord): Promise<void> {
    const startedMs = Date.parse(turn.startedAt);
    if (Number.isNaN(startedMs)) {
      throw new ProviderError('invalid_turn', `turn ${turn.id} has an unreadable startedAt`);
    }
    this.#run('save a turn', () =>
      this.#saveTurn.run({
        id: turn.id,
        deviceId: turn.deviceId,
        sessionId: turn.sessionId,
        turn: turn.turn,
        startedAt: turn.startedAt,
        startedMs,
        transcript: turn.transcript,
        reply: turn.reply,
        outcome: turn.outcome,
        safety: JSON.stringify(turn.safety),
        timings: JSON.stringify(turn.timings),
        errorCode: turn.error?.code ?? null,
        errorMessage: turn.error?.message ?? null,
      }),
    );
  }

  async interruptUnfinishedTurns(): Promise<number> {
    return this.#run('mark unfinished turns interrupted', () => this.#interruptTurns.run(INTERRUPTED_ERROR.code, INTERRUPTED_ERROR.message).changes);
  }

  async listTurns(query: { deviceId?: string; limit?: number }): Promise<TurnRecord[]> {
    const limit = turnLimit(query.limit);
    const rows = this.#run('list turns', () =>
      query.deviceId === undefined
        ? this.#listTurns.all(limit)
        : this.#listDeviceTurns.all(query.deviceId, limit),
    );
    return rows.map(toTurn);
  }

  async deleteTurns(deviceId: string): Promise<number> {
    // One transaction: a parent's delete never leaves the turns gone and the memory of them kept.
    const remove = this.#db.transaction((): number => {
      this.#deleteConversations.run(deviceId);
      return this.#deleteTurns.run(deviceId).changes;
    });
    return this.#run("delete a device's turns and conversations", () => remove.immediate());
  }

  async conversation(deviceId: string, toyId: string): Promise<StoredConversation | undefined> {
    const row = this.#run('read a conversation', () => this.#conversation.get(deviceId, toyId));
    if (row === undefined) return undefined;
    return { summary: row.summary, messages: JSON.parse(row.messages) as ConversationMessage[], updatedAt: row.updated_at };
  }

  async saveConversation(deviceId: string, toyId: string, conversation: Conversation): Promise<void> {
    checkConversation(deviceId, toyId, conversation);
    // Only role and content: whatever else a caller's objects carry is not the child's memory.
    const messages = JSON.stringify(conversation.messages.map(({ role, content }) => ({ role, content })));
    this.#run('save a conversation', () =>
      this.#saveConversation.run(deviceId, toyId, conversation.summary, messages, new Date().toISOString()),
    );
  }

  async putKnowledge(toyId: string, facts: readonly KnowledgeFactInput[]): Promise<void> {
    const checked = normalizeKnowledge(toyId, facts);
    const replace = this.#db.transaction(() => {
      this.#deleteKnowledge.run(toyId);
      checked.forEach((fact, position) => this.#addFact.run(toyId, fact.id, position, fact.text, JSON.stringify(fact.keywords)));
    });
    this.#run("replace a toy's knowledge", () => replace.immediate());
  }

  async searchKnowledge(toyId: string, query: string, limit: number): Promise<KnowledgeFact[]> {
    const max = knowledgeLimit(limit);
    const terms = searchTerms(query);
    // Each term quoted, so FTS5 reads it as a word even when it is "near", "and" or "not".
    const match = terms.map((term) => `"${term}"`).join(' OR ');
    const rows = this.#run('search knowledge', () => (terms.length === 0 || max === 0 ? [] : this.#searchKnowledge.all(match, toyId, max)));
    return rows.map((row) => ({ id: row.fact_id, text: row.text, keywords: JSON.parse(row.keywords) as string[] }));
  }

  async addDevice(deviceId: string): Promise<string> {
    const secret = newDeviceSecret();
    await this.addDeviceWithSecret(deviceId, secret);
    return secret;
  }

  async addDeviceWithSecret(deviceId: string, secret: string): Promise<void> {
    checkDeviceId(deviceId);
    const hash = await hashDeviceSecret(secret);
    this.#run('add a device', () => this.#putDevice.run(deviceId, hash, new Date().toISOString()));
  }

  async verifyDevice(deviceId: string, secret: string): Promise<boolean> {
    const stored = this.#run('look up a device', () => this.#deviceHash.get(deviceId));
    return verifyDeviceSecret(stored, secret);
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const rows = this.#run('list devices', () => this.#listDevices.all());
    return rows.map((row) => ({ id: row.id, createdAt: row.created_at, settings: JSON.parse(row.settings) as ParentSettings }));
  }

  async deviceSettings(deviceId: string): Promise<ParentSettings> {
    const stored = this.#run('read device settings', () => this.#deviceSettings.get(deviceId));
    return stored === undefined ? {} : (JSON.parse(stored) as ParentSettings);
  }

  async updateDeviceSettings(deviceId: string, change: Record<string, unknown>): Promise<ParentSettings> {
    const problem = settingsProblem(change);
    if (problem !== undefined) throw new ProviderError('invalid_settings', problem);
    // Read and write in one transaction: two parents changing different fields at once both win.
    const update = this.#db.transaction((): ParentSettings => {
      const stored = this.#deviceSettings.get(deviceId);
      if (stored === undefined) throw new ProviderError('unknown_device', `no device '${deviceId}'`);
      const merged = mergeSettings(JSON.parse(stored) as ParentSettings, change);
      this.#setDeviceSettings.run(JSON.stringify(merged), deviceId);
      return merged;
    });
    return this.#run('update device settings', () => update.immediate());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #run<T>(action: string, work: () => T): T {
    if (this.#closed) throw new ProviderError('store_unavailable', `cannot ${action}: the store at ${this.#path} is closed`);
    try {
      return work();
    } catch (err) {
      throw sqliteError(err, `cannot ${action}`);
    }
  }
}

/** turnStage in SQL: the same order, so the store and its callers agree on what is further along. */
function stageSql(column: string): string {
  const cases = TURN_PROGRESS.map((status, index) => `WHEN '${status}' THEN ${index}`).join(' ');
  return `(CASE ${column} ${cases} ELSE ${TURN_PROGRESS.length} END)`;
}

function turnLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_TURN_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new ProviderError('invalid_query', `limit must be a whole number of at least 0, not ${limit}`);
  }
  return Math.min(limit, MAX_TURN_LIMIT);
}

function checkDeviceId(deviceId: string): void {
  if (deviceId.length === 0 || deviceId.length > MAX_DEVICE_ID_LENGTH) {
    throw new ProviderError('invalid_device_id', `a device id must be 1 to ${MAX_DEVICE_ID_LENGTH} characters`);
  }
}

function toTurn(row: TurnRow): TurnRecord {
  const base = {
    id: row.id,
    deviceId: row.device_id,
    sessionId: row.session_id,
    turn: row.turn,
    startedAt: row.started_at,
    transcript: row.transcript,
    reply: row.reply,
    outcome: row.outcome as TurnStatus,
    safety: JSON.parse(row.safety) as SafetyRecord[],
    timings: JSON.parse(row.timings) as Record<string, number>,
  };
  return row.error_code === null
    ? base
    : { ...base, error: { code: row.error_code, message: row.error_message ?? '' } };
}

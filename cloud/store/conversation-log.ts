import type { Log } from '../../log/log.js';
import { ProviderError } from '../providers/provider-error.js';
import { SpillFile } from './spill-file.js';
import { checkConversation, type Conversation, type Store, type StoredConversation } from './store.js';
import { RetryLoop, asStoreError, scheduleWithTimer, type Schedule } from './retry-loop.js';

export interface ConversationLogOptions {
  readonly store: Pick<Store, 'conversation' | 'saveConversation'>;
  /** JSON lines that take what the store cannot (see conversationFallbackPathFor); the next start replays them. */
  readonly fallbackPath: string;
  /** Fields carry ids and counts, never what the child or the toy said. */
  readonly log: Log;
  /** Conversations held in memory for a retry before new ones go straight to the fallback file. */
  readonly maxPending?: number;
  /** Bytes the fallback file may hold (DEFAULT_SPILL_MAX_BYTES). */
  readonly maxSpillBytes?: number;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly schedule?: Schedule;
}

/** One line of the fallback file: a toy's memory of one child as it was at `at`. */
export interface UnsavedConversation extends Conversation {
  readonly deviceId: string;
  readonly toyId: string;
  /** ISO 8601, when the memory was in this state: a replay never overwrites a newer save. */
  readonly at: string;
}

export const DEFAULT_MAX_PENDING_CONVERSATIONS = 500;

/** Where a database's unsaved conversation memories go: beside it, as the unsaved turns do. */
export function conversationFallbackPathFor(databasePath: string): string {
  return `${databasePath}.unsaved-memory.jsonl`;
}

type Pending = UnsavedConversation;

/**
 * Stands between the conversation memories and the store, so a save that fails is never silently
 * dropped. A store that says "try again" (full, busy) gets the latest state of each memory again
 * later with backoff (one place per device and toy: a newer state replaces the one waiting); one
 * that refuses outright, a full queue, or shutdown send it to the fallback file. While a memory
 * waits here, reading it gives the waiting state, so a device that reconnects remembers.
 */
export class ConversationLog {
  readonly #store: ConversationLogOptions['store'];
  readonly #spill: SpillFile;
  readonly #log: Log;
  readonly #retries: RetryLoop;
  readonly #inFlight = new Map<string, Pending>();
  readonly #maxPending: number;
  readonly #pending = new Map<string, Pending>();

  constructor(options: ConversationLogOptions) {
    this.#store = options.store;
    this.#log = options.log;
    this.#spill = new SpillFile({ path: options.fallbackPath, what: 'conversations', log: options.log, ...(options.maxSpillBytes === undefined ? {} : { maxBytes: options.maxSpillBytes }) });
    this.#maxPending = Math.max(1, options.maxPending ?? DEFAULT_MAX_PENDING_CONVERSATIONS);
    this.#retries = new RetryLoop(() => this.#drain(), () => this.#pending.size > 0, { minMs: options.retryMinMs ?? 500, maxMs: options.retryMaxMs ?? 30_000, schedule: options.schedule ?? scheduleWithTimer });
  }

  /** Memories waiting for the store. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Memories written to the fallback file since start. */
  get spilled(): number {
    return this.#spill.written;
  }

  /** Memories neither the store nor the fallback file took. */
  get lost(): number {
    return this.#spill.refused;
  }

  /** Why the fallback file refuses memories right now; undefined while it works. */
  get spillProblem(): string | undefined {
    return this.#spill.problem;
  }

  async conversation(deviceId: string, toyId: string): Promise<StoredConversation | undefined> {
    const waiting = this.#pending.get(key(deviceId, toyId));
    if (waiting !== undefined) return { summary: waiting.summary, messages: waiting.messages, updatedAt: waiting.at };
    return this.#store.conversation(deviceId, toyId);
  }

  /**
   * Saves now if the store takes it, otherwise holds or spills it; resolves either way. Rejects
   * only what no store would take (`invalid_conversation`, `conversation_too_large`).
   */
  async saveConversation(deviceId: string, toyId: string, conversation: Conversation): Promise<void> {
    checkConversation(deviceId, toyId, conversation);
    const entry: Pending = { deviceId, toyId, summary: conversation.summary, messages: conversation.messages.map(({ role, content }) => ({ role, content })), at: new Date().toISOString() };
    const id = key(deviceId, toyId);
    // The store is failing for this memory already: the newest state waits in its place.
    if (this.#pending.has(id)) {
      this.#pending.set(id, entry);
      return;
    }
    // The newest state of each memory being saved: an older save that fails after a newer one was
    // saved must not be retried over it (a store whose saves overlap, Convex's, would let that happen).
    this.#inFlight.set(id, entry);
    try {
      await this.#store.saveConversation(deviceId, toyId, entry);
    } catch (err) {
      if (this.#inFlight.get(id) === entry) this.#failed(id, entry, asStoreError(err));
    } finally {
      if (this.#inFlight.get(id) === entry) this.#inFlight.delete(id);
    }
  }

  /** A parent's delete: what waits for this device is dropped, so a retry cannot bring it back. */
  forget(deviceId: string): void {
    for (const [id, entry] of this.#pending) if (entry.deviceId === deviceId) this.#pending.delete(id);
  }

  /** For shutdown: tries the store once more and spills what it still refuses. */
  async flush(): Promise<void> {
    await this.#retries.stop();
    try {
      await this.#drain();
      for (const entry of this.#pending.values()) this.#spillEntry(entry);
      this.#pending.clear();
    } finally {
      this.#retries.resume();
    }
  }

  #failed(id: string, entry: Pending, error: ProviderError): void {
    if (!error.retryable || this.#pending.size >= this.#maxPending) {
      this.#spillEntry(entry);
      return;
    }
    if (this.#pending.size === 0) {
      this.#log('warn', 'conversation memory not saved yet; will retry', { deviceId: entry.deviceId, toyId: entry.toyId, code: error.code, error: error.message });
    }
    this.#pending.set(id, entry);
    this.#retries.later();
  }

  /** Saves what waits, oldest first; stops at the first "try again". */
  async #drain(): Promise<void> {
    const before = this.#pending.size;
    for (const [id, entry] of [...this.#pending]) {
      if (this.#pending.get(id) !== entry) continue;
      try {
        await this.#store.saveConversation(entry.deviceId, entry.toyId, entry);
      } catch (err) {
        const error = asStoreError(err);
        if (error.retryable) return;
        this.#spillEntry(entry);
      }
      // A newer state that came in while this one was being saved waits for the next round.
      if (this.#pending.get(id) === entry) this.#pending.delete(id);
    }
    if (before > 0) this.#log('info', 'store took the waiting conversation memories', { saved: before });
    this.#retries.succeeded();
  }

  #spillEntry(entry: Pending): void {
    const first = this.#spill.written === 0;
    if (this.#spill.append(entry) && first) {
      this.#log('error', 'conversation memory written to the fallback file instead of the store', { deviceId: entry.deviceId, toyId: entry.toyId, fallbackPath: this.#spill.path });
    }
  }
}

function key(deviceId: string, toyId: string): string {
  return `${deviceId}\u0000${toyId}`;
}

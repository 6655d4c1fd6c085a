import { RetryLoop, asStoreError, scheduleWithTimer, type Schedule } from './retry-loop.js';
import { SpillFile } from './spill-file.js';
import type { Store, TurnRecord } from './store.js';

import type { Log } from '../../log/log.js';

export type { Schedule } from './retry-loop.js';

export interface TurnLogOptions {
  readonly store: Store;
  /** JSON lines that take what the store cannot; keep it next to the database (see fallbackPathFor). */
  readonly fallbackPath: string;
  /** Receives every failure. Fields carry ids and counts, never what the child or the toy said. */
  readonly log: Log;
  /** Turns held in memory (waiting or being saved) before new ones go straight to the fallback file. */
  readonly maxPending?: number;
  /** Bytes the fallback file may hold (DEFAULT_SPILL_MAX_BYTES); past it turns are lost, and counted. */
  readonly maxSpillBytes?: number;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Tests pass their own to run retries when they choose. */
  readonly schedule?: Schedule;
}

export const DEFAULT_MAX_PENDING = 500;

/** Where a database's unsaved turns go by default: beside it, so a backup of the folder takes both. */
export function fallbackPathFor(databasePath: string): string {
  return `${databasePath}.unsaved.jsonl`;
}

/**
 * Saves every turn, so a child's conversation log is never silently dropped. A store that says
 * "try again" (full, busy) gets the turn again later with backoff; a store that refuses outright,
 * or a full queue, sends the turn to the fallback file; only when that file cannot be written
 * either (full disk, its byte cap) is a turn lost, and that is counted and logged once per run.
 *
 * A turn is written several times under one id as it goes (started, heard, ended): a newer
 * record of a turn replaces an older one still waiting, and an older save that fails after a
 * newer one was written is dropped, so a retry never brings back an earlier stage.
 */
export class TurnLog {
  readonly #store: Store;
  readonly #spill: SpillFile;
  readonly #log: Log;
  readonly #retries: RetryLoop;
  readonly #maxPending: number;
  readonly #waiting: TurnRecord[] = [];
  readonly #saving = new Set<Promise<void>>();
  /** The newest write of each turn held in memory, so a failed older save can tell it is stale. */
  readonly #latest = new Map<string, TurnRecord>();
  #failedSince = 0;
  /** Spills since the store last took the waiting turns: only the first of a run is logged. */
  #spilledInRun = 0;

  constructor(options: TurnLogOptions) {
    this.#store = options.store;
    this.#spill = new SpillFile({ path: options.fallbackPath, what: 'turns', log: options.log, ...(options.maxSpillBytes === undefined ? {} : { maxBytes: options.maxSpillBytes }) });
    this.#log = options.log;
    this.#maxPending = Math.max(1, options.maxPending ?? DEFAULT_MAX_PENDING);
    this.#retries = new RetryLoop(() => this.#drain(), () => this.#waiting.length > 0, { minMs: options.retryMinMs ?? 500, maxMs: options.retryMaxMs ?? 30_000, schedule: options.schedule ?? scheduleWithTimer });
  }

  /** Turns held in memory: waiting for a retry or being saved right now. */
  get pending(): number {
    return this.#waiting.length + this.#saving.size;
  }

  /** Turns waiting for a retry because the store said "try again". */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Turns written to the fallback file since start. */
  get spilled(): number {
    return this.#spill.written;
  }

  /** Turns that neither the store nor the fallback file took. Anything above 0 needs a person. */
  get lost(): number {
    return this.#spill.refused;
  }

  /** Why the fallback file refuses turns right now (a code such as ENOSPC, or over_cap); undefined while it works. */
  get spillProblem(): string | undefined {
    return this.#spill.problem;
  }

  write(turn: TurnRecord): void {
    // A newer record of a turn that is still waiting takes its place: one turn, one place in the queue.
    const waitingAt = this.#waiting.findIndex((waiting) => waiting.id === turn.id);
    if (waitingAt !== -1) {
      this.#waiting[waitingAt] = turn;
      this.#latest.set(turn.id, turn);
      return;
    }
    if (this.pending >= this.#maxPending) {
      // On disk now: an older record of it still being saved must not come back if that save fails.
      this.#latest.delete(turn.id);
      this.#spillTurn(turn, 'queue_full');
      return;
    }
    this.#latest.set(turn.id, turn);
    // While turns wait for a failing store, newcomers queue behind them instead of hammering it.
    if (this.#waiting.length > 0 || this.#retries.draining) {
      this.#waiting.push(turn);
      return;
    }
    const saving: Promise<void> = this.#save(turn).then(
      () => {
        this.#saving.delete(saving);
        this.#settled(turn);
      },
      (err: unknown) => {
        this.#saving.delete(saving);
        this.#failed(turn, err);
      },
    );
    this.#saving.add(saving);
  }

  /**
   * For shutdown: waits for saves under way, tries the waiting turns once more, and writes
   * whatever the store still refuses to the fallback file, so nothing is left only in memory.
   */
  async flush(): Promise<void> {
    await this.#retries.stop();
    try {
      await Promise.allSettled([...this.#saving]);
      await this.#drain();
      for (const turn of this.#waiting.splice(0)) {
        this.#settled(turn);
        this.#spillTurn(turn, 'flush');
      }
    } finally {
      this.#retries.resume();
    }
  }

  /** A record of a turn is saved or spilled: the turn leaves memory unless a newer record of it is on its way. */
  #settled(turn: TurnRecord): void {
    if (this.#latest.get(turn.id) === turn) this.#latest.delete(turn.id);
  }

  #failed(turn: TurnRecord, err: unknown): void {
    // A newer record of this turn was written meanwhile: it is waiting or saved, and it is what counts.
    if (this.#latest.get(turn.id) !== turn) return;
    const error = asStoreError(err);
    if (!error.retryable) {
      this.#settled(turn);
      this.#spillTurn(turn, error.code, error.message);
      return;
    }
    if (this.pending >= this.#maxPending) {
      this.#settled(turn);
      this.#spillTurn(turn, 'queue_full');
      return;
    }
    const first = this.#waiting.length === 0 && !this.#retries.draining;
    this.#waiting.push(turn);
    if (this.#failedSince === 0) this.#failedSince = Date.now();
    // One line when the store starts failing; the retries log their own, at the backoff's pace.
    if (first) {
      this.#log('warn', 'turn not saved yet; will retry', {
        turnId: turn.id,
        deviceId: turn.deviceId,
        code: error.code,
        error: error.message,
        pending: this.pending,
      });
    }
    this.#retries.later();
  }

  /** Saves waiting turns oldest first; stops at the first "try again" and leaves the rest waiting. */
  async #drain(): Promise<void> {
    const before = this.#waiting.length;
    while (this.#waiting.length > 0) {
      const turn = this.#waiting[0] as TurnRecord;
      try {
        await this.#save(turn);
      } catch (err) {
        const error = asStoreError(err);
        if (error.retryable) {
          this.#log('warn', 'retry failed; turns still waiting', {
            code: error.code,
            error: error.message,
            pending: this.pending,
            failingForMs: Date.now() - this.#failedSince,
          });
          return;
        }
        if (this.#waiting[0] !== turn) continue;
        this.#waiting.shift();
        this.#settled(turn);
        this.#spillTurn(turn, error.code, error.message);
        continue;
      }
      // The record saved may have been replaced while it was being saved: the newer one is saved next.
      if (this.#waiting[0] === turn) {
        this.#waiting.shift();
        this.#settled(turn);
      }
    }
    if (before > 0) {
      this.#log('info', 'store took the waiting turns', {
        saved: before,
        failedForMs: Date.now() - this.#failedSince,
      });
    }
    this.#retries.succeeded();
    this.#failedSince = 0;
    this.#spilledInRun = 0;
  }

  #save(turn: TurnRecord): Promise<void> {
    try {
      return this.#store.saveTurn(turn);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // Synchronous on purpose: it runs rarely, and a turn handed to it is on disk when it returns.
  #spillTurn(turn: TurnRecord, reason: string, detail?: string): void {
    if (!this.#spill.append(turn)) return;
    // The first spill of a run says why; the rest are counted (spilled), not logged one by one.
    if (this.#spilledInRun++ > 0) return;
    this.#log('error', 'turn written to the fallback file instead of the store', {
      turnId: turn.id,
      deviceId: turn.deviceId,
      reason,
      ...(detail === undefined ? {} : { error: detail }),
      spilled: this.#spill.written,
      fallbackPath: this.#spill.path,
    });
  }
}

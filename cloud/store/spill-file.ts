import { appendFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Log } from '../../log/log.js';

export interface SpillFileOptions {
  /** JSON lines, one record each; keep it beside the database. */
  readonly path: string;
  /** What the records are, for the log: 'turns', 'conversations'. */
  readonly what: string;
  readonly log: Log;
  /** Bytes the file may hold; past it records are refused, so a store that never recovers cannot fill the disk. */
  readonly maxBytes?: number;
}

/** Enough for some 30,000 turns of the largest kind; a disk that holds the database holds this. */
export const DEFAULT_SPILL_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The last place a record can go when the store will not take it. Appending never throws: a
 * full disk (ENOSPC, EFBIG, EDQUOT), an I/O error or the byte cap refuses the record, which the
 * caller counts as lost. Each run of refusals is logged once when it begins and once when it
 * ends, never once per record, so a full disk does not also fill the log.
 */
export class SpillFile {
  readonly #path: string;
  readonly #what: string;
  readonly #log: Log;
  readonly #maxBytes: number;
  /** What the file holds, read from disk on the first append (an earlier run may have left some). */
  #bytes: number | undefined;
  #written = 0;
  #refused = 0;
  /** Why records are being refused now (the error code, or 'over_cap'); undefined while appends work. */
  #problem: string | undefined;
  #refusedInProblem = 0;
  /** A failed append may have left half a line: the next record starts on a line of its own. */
  #midLine = false;

  constructor(options: SpillFileOptions) {
    this.#path = options.path;
    this.#what = options.what;
    this.#log = options.log;
    this.#maxBytes = Math.max(0, options.maxBytes ?? DEFAULT_SPILL_MAX_BYTES);
  }

  get path(): string {
    return this.#path;
  }

  /** Records appended since start. */
  get written(): number {
    return this.#written;
  }

  /** Records refused since start (cap or disk): each one is lost. */
  get refused(): number {
    return this.#refused;
  }

  /** Why appends fail right now, or undefined when they work. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /** Appends one record as a JSON line; false (counted, logged once per run of failures) when it could not. */
  append(record: unknown): boolean {
    const line = `${this.#midLine ? '\n' : ''}${JSON.stringify(record)}\n`;
    const size = Buffer.byteLength(line);
    const bytes = this.#bytes ?? this.#sizeOnDisk();
    if (bytes + size > this.#maxBytes) return this.#refuse('over_cap', `the file holds ${bytes} bytes and may hold ${this.#maxBytes}`);
    try {
      mkdirSync(dirname(this.#path), { recursive: true, mode: 0o700 });
      appendFileSync(this.#path, line, { mode: 0o600 });
    } catch (err) {
      // What reached the disk is unknown: count the whole line, so the cap errs on the safe side.
      this.#bytes = bytes + size;
      this.#midLine = true;
      const code = (err as { code?: unknown }).code;
      return this.#refuse(typeof code === 'string' ? code : 'write_failed', err instanceof Error ? err.message : String(err));
    }
    this.#bytes = bytes + size;
    this.#midLine = false;
    this.#written++;
    if (this.#problem !== undefined) {
      this.#log('info', `${this.#what} fallback file writable again`, { fallbackPath: this.#path, refusedMeanwhile: this.#refusedInProblem, refused: this.#refused });
      this.#problem = undefined;
      this.#refusedInProblem = 0;
    }
    return true;
  }

  #refuse(problem: string, detail: string): false {
    this.#refused++;
    this.#refusedInProblem++;
    if (this.#problem !== problem) {
      this.#log('error', `${this.#what} fallback file refuses records: they are lost until it takes them again`, {
        fallbackPath: this.#path,
        code: problem,
        error: detail,
        refused: this.#refused,
      });
      this.#problem = problem;
    }
    return false;
  }

  #sizeOnDisk(): number {
    try {
      return statSync(this.#path).size;
    } catch {
      return 0;
    }
  }
}

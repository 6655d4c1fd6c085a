import { ProviderError } from '../providers/provider-error.js';

/** Schedules `run` after `delayMs` and returns a function that cancels it. */
export type Schedule = (run: () => void, delayMs: number) => () => void;

export function scheduleWithTimer(run: () => void, delayMs: number): () => void {
  const timer = setTimeout(run, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
}

/** What a store threw, as an error that says whether trying again may help (an unknown throw: not known to). */
export function asStoreError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  return new ProviderError('store_failed', err instanceof Error ? err.message : String(err), { cause: err });
}

export interface RetryLoopOptions {
  readonly minMs: number;
  readonly maxMs: number;
  readonly schedule: Schedule;
}

/**
 * Runs `drain` again and again while `more()` says something waits, one run at a time, after a
 * wait that doubles from minMs to maxMs; `succeeded()` brings the wait back to minMs. What the
 * turn log and the conversation log share: a failing store is asked again at the backoff's pace,
 * never hammered.
 */
export class RetryLoop {
  readonly #drain: () => Promise<void>;
  readonly #more: () => boolean;
  readonly #options: RetryLoopOptions;
  #delayMs: number;
  #cancel: (() => void) | undefined;
  #draining: Promise<void> | undefined;
  #stopped = false;

  constructor(drain: () => Promise<void>, more: () => boolean, options: RetryLoopOptions) {
    this.#drain = drain;
    this.#more = more;
    this.#options = { ...options, maxMs: Math.max(options.minMs, options.maxMs) };
    this.#delayMs = options.minMs;
  }

  /** Whether a run is under way right now. */
  get draining(): boolean {
    return this.#draining !== undefined;
  }

  /** Schedules the next run unless one is scheduled, running, or the loop is stopped for a flush. */
  later(): void {
    if (this.#cancel !== undefined || this.#draining !== undefined || this.#stopped) return;
    const delayMs = this.#delayMs;
    this.#delayMs = Math.min(this.#delayMs * 2, this.#options.maxMs);
    this.#cancel = this.#options.schedule(() => {
      this.#cancel = undefined;
      this.#draining = this.#drain().finally(() => {
        this.#draining = undefined;
        if (this.#more()) this.later();
      });
    }, delayMs);
  }

  succeeded(): void {
    this.#delayMs = this.#options.minMs;
  }

  /** Cancels what is scheduled and waits for a run under way: the caller then drains by itself. `resume()` undoes it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
    await this.#draining;
  }

  resume(): void {
    this.#stopped = false;
  }
}

import { ProviderError, TURN_OUT_OF_TIME } from '../providers/provider-error.js';
import { delay } from '../providers/delay.js';

export type BudgetStage = 'stt' | 'safetyIn' | 'llm' | 'safetyOut' | 'tts';

const ORDER: readonly BudgetStage[] = ['stt', 'safetyIn', 'llm', 'safetyOut', 'tts'];

export interface TurnBudgetOptions {
  /** The longest a child should wait, from letting go of the button to the toy's first sound. */
  readonly totalMs: number;
  /** How the total is shared between the stages on the way to the first sound (any positive weights; safetyOut is the first sentence's check). */
  readonly shares: Readonly<Record<BudgetStage, number>>;
  /** No stage is given less than this, even when the budget is spent: a last attempt must be able to succeed. */
  readonly floorMs: number;
  /** An attempt is retried only if at least this much of its stage's time would be left for it. */
  readonly minRetryMs: number;
  /** Once a stream has started, the longest silence between two of its pieces. */
  readonly stallMs: number;
  /**
   * Attempts of one call of a stage (one recognition, one model request, one sentence's voice or
   * check), the first included: a provider that keeps failing is not hammered.
   */
  readonly maxAttempts: number;
  /**
   * The wait before the second attempt when the provider gave no Retry-After; it doubles for each
   * later one, with jitter (half to all of it), so that many turns failing at once do not retry in step.
   */
  readonly retryBaseMs: number;
  /** 0 (inclusive) to 1 (exclusive), for the jitter; tests pass their own. */
  readonly random?: () => number;
}

export const DEFAULT_TURN_BUDGET: TurnBudgetOptions = Object.freeze({
  totalMs: 4000,
  // Typical latencies of the cloud chain (STT ~300 ms, safety ~75 each way, LLM first token ~400,
  // TTS first byte ~250) in proportion, with the LLM's tail the least predictable.
  shares: Object.freeze({ stt: 3, safetyIn: 1, llm: 4, safetyOut: 1, tts: 2 }),
  floorMs: 250,
  minRetryMs: 400,
  stallMs: 5000,
  maxAttempts: 3,
  retryBaseMs: 100,
});

/**
 * The time one turn may take to its first sound, handed out to the stages as
 * they start: each gets its share of what is left, so a fast stage leaves more
 * for the next and a slow one eats into the rest rather than into the child's
 * patience.
 */
export class TurnBudget {
  private readonly deadline: number;

  constructor(
    readonly options: TurnBudgetOptions,
    startedAt: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.deadline = startedAt + options.totalMs;
  }

  /** Milliseconds left until the first sound should have been heard. */
  remaining(): number {
    return this.deadline - this.now();
  }

  /** The timeout of `stage` starting now: its share of the time left among the stages still to come. */
  timeoutFor(stage: BudgetStage): number {
    const rest = ORDER.slice(ORDER.indexOf(stage));
    const weight = rest.reduce((sum, s) => sum + this.options.shares[s], 0);
    const share = (this.remaining() * this.options.shares[stage]) / weight;
    return Math.max(this.options.floorMs, Math.round(share));
  }
}

/**
 * A signal that aborts when `parent` does (with its reason) or after `ms`
 * (not at all while `ms` is undefined), with a retryable provider_timeout
 * naming the stage. `clear()` pauses the timer, `refresh(ms)` starts it again,
 * `dispose()` lets go of the parent.
 */
export function stageSignal(parent: AbortSignal, ms: number | undefined, stage: string, cutShort = false): { signal: AbortSignal; clear(): void; refresh(ms: number): void; dispose(): void } {
  const controller = new AbortController();
  const onParent = () => controller.abort(parent.reason);
  if (parent.aborted) onParent();
  else parent.addEventListener('abort', onParent, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const arm = (after: number) => {
    clearTimeout(timer);
    const code = cutShort && after === ms ? TURN_OUT_OF_TIME : 'provider_timeout';
    const why = code === TURN_OUT_OF_TIME ? ' (the stages before it had spent its time)' : '';
    timer = setTimeout(() => controller.abort(new ProviderError(code, `${stage} did not answer within ${after} ms${why}`, { retryable: true })), after);
  };
  if (ms !== undefined) arm(ms);
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
    },
    refresh: arm,
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}

/** One stage's time, fixed when it starts, and the rule for trying again within it. */
export interface StageTime {
  /** The timeout of attempt `n`: the stage's share first, then whatever of it is left. */
  attemptMs(attempt: number): number;
  /**
   * Whether a timeout of `ms` is less than half what the stage is due from a whole budget: the
   * stages before it were slow, and its timeout is the turn's doing, not its provider's.
   */
  cutShort(ms: number): boolean;
  /**
   * The wait before the attempt after `attempt` failed with `error`, or undefined when the error,
   * the attempts made or the time left rule one out.
   */
  retryWait(error: unknown, parent: AbortSignal, attempt: number): number | undefined;
}

export function stageTime(stage: BudgetStage, budget: TurnBudget): StageTime {
  const { floorMs, minRetryMs, maxAttempts, retryBaseMs, random = Math.random } = budget.options;
  const first = budget.timeoutFor(stage);
  // What the budget will have left when this stage's time is up.
  const remainingAtEnd = budget.remaining() - first;
  const leftForStage = () => budget.remaining() - remainingAtEnd;
  const { shares, totalMs } = budget.options;
  const due = (totalMs * shares[stage]) / ORDER.reduce((sum, s) => sum + shares[s], 0);
  return {
    attemptMs: (attempt) => (attempt === 1 ? first : Math.max(floorMs, Math.round(leftForStage()))),
    cutShort: (ms) => ms < due / 2,
    retryWait(error, parent, attempt) {
      if (parent.aborted || !(error instanceof ProviderError) || !error.retryable || attempt >= maxAttempts) return undefined;
      const backoff = retryBaseMs * 2 ** (attempt - 1);
      const wait = error.retryAfterMs ?? Math.round(backoff * (0.5 + random() / 2));
      return leftForStage() - wait < minRetryMs ? undefined : wait;
    },
  };
}

/**
 * Runs `work` under the stage's timeout and retries it while the error says a
 * retry may help and the stage's time allows one more real attempt (after the
 * provider's Retry-After). `onRetry` hears of each retry, for the log.
 */
export function withinBudget<T>(
  stage: BudgetStage,
  budget: TurnBudget,
  parent: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
  onRetry: (error: ProviderError, attempt: number) => void = () => {},
): Promise<T> {
  return attempts(stage, stageTime(stage, budget), parent, work, onRetry, 1);
}

/** Attempts from `first` on, each under its timeout, as long as `time` allows another. */
export async function attempts<T>(
  stage: BudgetStage,
  time: StageTime,
  parent: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
  onRetry: (error: ProviderError, attempt: number) => void,
  first: number,
): Promise<T> {
  for (let attempt = first; ; attempt++) {
    const ms = time.attemptMs(attempt);
    const { signal, dispose } = stageSignal(parent, ms, stage, time.cutShort(ms));
    try {
      return await work(signal);
    } catch (error) {
      const wait = time.retryWait(error, parent, attempt);
      if (wait === undefined) throw error;
      onRetry(error as ProviderError, attempt);
      await delay(wait, parent);
    } finally {
      dispose();
    }
  }
}

/**
 * A stream under the stage's timeout to its first piece, then a stall limit
 * between pieces (counted only while the stream, not its consumer, is the one
 * taking time). Retried like withinBudget, but only before the first piece:
 * once the child may have heard some of it, a second answer must not follow.
 */
export async function* streamWithinBudget<T>(
  stage: BudgetStage,
  budget: TurnBudget,
  parent: AbortSignal,
  open: (signal: AbortSignal) => AsyncIterable<T>,
  onRetry: (error: ProviderError, attempt: number) => void = () => {},
): AsyncIterable<T> {
  const time = stageTime(stage, budget);
  for (let attempt = 1; ; attempt++) {
    const ms = time.attemptMs(attempt);
    const guard = stageSignal(parent, ms, stage, time.cutShort(ms));
    let started = false;
    try {
      for await (const piece of open(guard.signal)) {
        started = true;
        guard.clear();
        yield piece;
        guard.refresh(budget.options.stallMs);
      }
      return;
    } catch (error) {
      const wait = started ? undefined : time.retryWait(error, parent, attempt);
      if (wait === undefined) throw error;
      onRetry(error as ProviderError, attempt);
      await delay(wait, parent);
    } finally {
      guard.dispose();
    }
  }
}

import type { Log } from '../log/log.js';

export type MemoryLevel = 'ok' | 'high' | 'critical';

/** Something that holds a cache it can drop: the device's caches register themselves. */
export interface Sheddable {
  shed(): void;
  setAccepting(accepting: boolean): void;
}

/** MiB, like systemd's MemoryMax=150M, so the budget and the backstop compare directly. */
const MB = 1024 * 1024;

export interface MemoryWatchOptions {
  budgetBytes: number;
  highRatio?: number;
  criticalRatio?: number;
  /** How far below a threshold RSS must fall to leave its level, as a share of the budget. */
  marginRatio?: number;
  intervalMs?: number;
  readRss?: () => number;
  collectGarbage?: () => void;
  log: Log;
  onCritical?: () => void;
  /** Runs `tick` every `everyMs` and returns a cancel; the default never keeps the process alive. */
  schedule?: (tick: () => void, everyMs: number) => () => void;
}

/**
 * Watches the process's own resident memory against a budget and reacts well
 * before systemd's MemoryMax or the OOM killer would end the process
 * mid-sentence: on 'high' caches are dropped and stop filling; on 'critical'
 * the owner is asked to restart cleanly between turns.
 */
export class MemoryWatch {
  private current: MemoryLevel = 'ok';
  private peak = 0;
  private last = 0;
  private cancel: (() => void) | undefined;
  private readonly sheddables = new Set<Sheddable>();
  private readonly high: number;
  private readonly critical: number;
  private readonly margin: number;

  constructor(private readonly options: MemoryWatchOptions) {
    const { budgetBytes, highRatio = 0.8, criticalRatio = 0.95, marginRatio = 0.05, intervalMs = 5000 } = options;
    if (!(Number.isFinite(budgetBytes) && budgetBytes > 0)) throw new RangeError(`budgetBytes must be a positive number, got ${budgetBytes}`);
    if (!(highRatio > 0 && highRatio < 1)) throw new RangeError(`highRatio must be in (0, 1), got ${highRatio}`);
    if (!(criticalRatio > highRatio && criticalRatio <= 1)) throw new RangeError(`criticalRatio must be in (highRatio, 1], got ${criticalRatio}`);
    // A margin as wide as the high threshold would mean 'ok' could never come back.
    if (!(marginRatio >= 0 && marginRatio < highRatio)) throw new RangeError(`marginRatio must be in [0, highRatio), got ${marginRatio}`);
    if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw new RangeError(`intervalMs must be a positive number, got ${intervalMs}`);
    this.high = budgetBytes * highRatio;
    this.critical = budgetBytes * criticalRatio;
    this.margin = budgetBytes * marginRatio;
  }

  get level(): MemoryLevel {
    return this.current;
  }
  get peakRssBytes(): number {
    return this.peak;
  }
  get lastRssBytes(): number {
    return this.last;
  }

  /** Returns the unregister; a cache that registers while memory is high starts out not accepting. */
  register(s: Sheddable): () => void {
    this.sheddables.add(s);
    if (this.current !== 'ok') this.safely('setAccepting', () => s.setAccepting(false));
    return () => void this.sheddables.delete(s);
  }

  start(): void {
    if (this.cancel) return;
    const schedule = this.options.schedule ?? unrefInterval;
    this.cancel = schedule(() => {
      // A throw from an interval callback would crash the process the watch exists to protect.
      try {
        this.check();
      } catch (err) {
        this.options.log('error', 'memory check failed', { error: String(err) });
      }
    }, this.options.intervalMs ?? 5000);
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  /** Takes one sample and reacts to a change of level; staying at a level is silent. */
  check(): MemoryLevel {
    const rss = (this.options.readRss ?? (() => process.memoryUsage.rss()))();
    this.last = rss;
    this.peak = Math.max(this.peak, rss);
    const previous = this.current;
    const next = this.levelFor(rss, previous);
    if (next === previous) return next;
    this.current = next;
    const fields = { rssMb: toMb(rss), budgetMb: toMb(this.options.budgetBytes), memory: next };
    if (next === 'ok') {
      this.options.log('info', 'memory back to normal', fields);
      for (const s of [...this.sheddables]) this.safely('setAccepting', () => s.setAccepting(true));
    } else if (next === 'critical' || previous === 'ok') {
      this.options.log(next === 'critical' ? 'error' : 'warn', next === 'critical' ? 'memory critical' : 'memory high', fields);
      for (const s of [...this.sheddables]) {
        this.safely('shed', () => s.shed());
        this.safely('setAccepting', () => s.setAccepting(false));
      }
      // After shedding, so what the caches let go of is actually returned.
      this.safely('collectGarbage', this.options.collectGarbage ?? defaultCollectGarbage);
      if (next === 'critical') this.safely('onCritical', () => this.options.onCritical?.());
    } else {
      // critical -> high: caches stay shed and closed, so only the record changes.
      this.options.log('warn', 'memory below critical, still high', fields);
    }
    return next;
  }

  private levelFor(rss: number, previous: MemoryLevel): MemoryLevel {
    // Each level is left only a margin below where it was entered, so RSS hovering at a threshold does not flap.
    if (rss >= this.critical || (previous === 'critical' && rss >= this.critical - this.margin)) return 'critical';
    if (rss >= this.high || (previous !== 'ok' && rss >= this.high - this.margin)) return 'high';
    return 'ok';
  }

  /** One failing reaction must not stop the rest: shedding the other caches matters more. */
  private safely(step: string, act: () => void): void {
    try {
      act();
    } catch (err) {
      this.options.log('error', 'memory reaction failed', { step, error: String(err) });
    }
  }
}

function toMb(bytes: number): number {
  return Math.round((bytes / MB) * 10) / 10;
}

function unrefInterval(tick: () => void, everyMs: number): () => void {
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** globalThis.gc exists only when node runs with --expose-gc; without it there is nothing to hurry. */
function defaultCollectGarbage(): void {
  globalThis.gc?.();
}

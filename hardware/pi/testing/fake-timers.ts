import type { Timers } from '../timers.js';

interface Pending {
  at: number;
  order: number;
  callback: () => void;
}

/** Timers that fire only when a test calls advance(), in time order. */
export class FakeTimers implements Timers {
  private time = 0;
  private order = 0;
  private readonly pending = new Set<Pending>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const entry: Pending = { at: this.time + Math.max(0, ms), order: this.order++, callback };
    this.pending.add(entry);
    return entry;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as Pending);
  }

  /** Moves time on by `ms`, firing every timer that falls due (including ones set while advancing). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const entry of this.pending) {
        if (entry.at <= end && (next === undefined || entry.at < next.at || (entry.at === next.at && entry.order < next.order))) next = entry;
      }
      if (next === undefined) break;
      this.pending.delete(next);
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = end;
  }

  /** How many timers are waiting. */
  get size(): number {
    return this.pending.size;
  }
}

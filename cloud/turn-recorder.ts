import type { TurnRecord } from './store/store.js';

export interface TurnRecorderOptions {
  /** Where finished records go (the TurnLog). */
  readonly record: (turn: TurnRecord) => void;
  /** How long a finished turn waits for the device's report before it is recorded without it. */
  readonly waitMs: number;
  /** Turns waiting at once; past it the oldest is recorded as it is. */
  readonly maxWaiting: number;
}

/**
 * Joins a turn's record with what the device measured (its `report`), which
 * arrives after the device has played the last sample: later than the gateway
 * finishes, or, for a cut turn, sooner. Every record is written exactly once:
 * when its report comes, when the wait runs out, or when the session ends.
 */
export class TurnRecorder {
  private readonly waiting = new Map<number, { record: TurnRecord; timer: NodeJS.Timeout }>();
  private readonly early = new Map<number, Readonly<Record<string, number>>>();

  constructor(private readonly options: TurnRecorderOptions) {}

  /** A finished turn; recorded at once if its report already came. */
  finished(record: TurnRecord): void {
    const report = this.early.get(record.turn);
    if (report) {
      this.early.delete(record.turn);
      return this.options.record(merge(record, report));
    }
    this.flush(record.turn);
    if (this.waiting.size >= this.options.maxWaiting) this.flush(this.waiting.keys().next().value as number);
    const timer = setTimeout(() => this.flush(record.turn), this.options.waitMs);
    this.waiting.set(record.turn, { record, timer });
  }

  /** The device's measurements of a turn. */
  reported(turn: number, timings: Readonly<Record<string, number>>): void {
    const entry = this.waiting.get(turn);
    if (entry) {
      clearTimeout(entry.timer);
      this.waiting.delete(turn);
      return this.options.record(merge(entry.record, timings));
    }
    // The turn is still unwinding (a cut turn reports at once); keep a few such reports.
    if (this.early.size >= this.options.maxWaiting) this.early.delete(this.early.keys().next().value as number);
    this.early.set(turn, timings);
  }

  /** Records everything still waiting: the session is over. */
  flushAll(): void {
    for (const turn of [...this.waiting.keys()]) this.flush(turn);
    this.early.clear();
  }

  private flush(turn: number): void {
    const entry = this.waiting.get(turn);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.waiting.delete(turn);
    this.options.record(entry.record);
  }
}

function merge(record: TurnRecord, device: Readonly<Record<string, number>>): TurnRecord {
  const timings: Record<string, number> = { ...record.timings };
  for (const [name, value] of Object.entries(device)) timings[`device.${name}`] = value;
  return { ...record, timings };
}

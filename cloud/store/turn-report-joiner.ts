import type { TurnRecord } from './store.js';

export interface TurnReportJoinerOptions {
  /** Where records go (TurnLog.write). Writing a record with the same id again replaces it. */
  readonly write: (turn: TurnRecord) => void;
  /** Recent turns that may still get a report, and early reports kept; past it the oldest is forgotten. */
  readonly remember: number;
  /** Whether the session still runs this turn (a report for it may come before it finishes). */
  readonly running: (turn: number) => boolean;
}

/**
 * Joins a turn's record with what the device measured (its `report`). The
 * turn is written the moment it finishes, so a crash while waiting for the
 * report loses nothing; the report, when it comes, writes it again under the
 * same id with the device's timings. A report may also come first, for a cut
 * turn the gateway is still unwinding: it waits for that turn. Reports for
 * turns the session does not know are ignored, as the protocol says.
 */
export class TurnReportJoiner {
  private readonly written = new Map<number, TurnRecord>();
  private readonly early = new Map<number, Readonly<Record<string, number>>>();

  constructor(private readonly options: TurnReportJoinerOptions) {}

  /** A finished turn: written now, joined with its report if that came first. */
  finished(record: TurnRecord): void {
    const report = this.early.get(record.turn);
    this.early.delete(record.turn);
    if (report !== undefined) return this.options.write(merge(record, report));
    this.options.write(record);
    remember(this.written, record.turn, record, this.options.remember);
  }

  /** The device's measurements of a turn. */
  reported(turn: number, timings: Readonly<Record<string, number>>): void {
    const record = this.written.get(turn);
    if (record !== undefined) {
      this.written.delete(turn);
      return this.options.write(merge(record, timings));
    }
    if (this.options.running(turn)) remember(this.early, turn, timings, this.options.remember);
  }
}

function remember<V>(map: Map<number, V>, turn: number, value: V, limit: number): void {
  map.delete(turn);
  map.set(turn, value);
  if (map.size > limit) map.delete(map.keys().next().value as number);
}

function merge(record: TurnRecord, device: Readonly<Record<string, number>>): TurnRecord {
  const timings: Record<string, number> = { ...record.timings };
  for (const [name, value] of Object.entries(device)) timings[`device.${name}`] = value;
  return { ...record, timings };
}

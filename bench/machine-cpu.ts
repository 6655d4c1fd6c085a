import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** The machine's CPU time so far, all cores together, from /proc/stat (in clock ticks). */
export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

/** Null where there is no /proc/stat (not Linux): the figure is then left out. */
export function machineCpuTimes(): CpuTimes | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are the time nobody wanted.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * How busy the whole machine was between two readings, in cores (0..number of cores): on a
 * shared machine, what else ran beside the bench, and so how far to trust its figures.
 */
export function coresBusy(from: CpuTimes | null, to: CpuTimes | null): number | null {
  if (from === null || to === null || to.total <= from.total) return null;
  return ((to.busy - from.busy) / (to.total - from.total)) * availableParallelism();
}

import { readFileSync } from 'node:fs';

/** Another process's resident memory from /proc/<pid>/status, in MB (1,048,576 bytes); null when it is gone or not on Linux. */
export interface ProcessMemory {
  /** VmRSS: resident now. */
  readonly rssMb: number;
  /** VmHWM: the kernel's high-water mark of the resident memory since the process began. */
  readonly hwmMb: number;
}

export function processMemory(pid: number): ProcessMemory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  if (!Number.isFinite(rss) || !Number.isFinite(hwm)) return null;
  const mb = (n: number) => Math.round((n / 1024) * 10) / 10;
  return { rssMb: mb(rss), hwmMb: mb(hwm) };
}

/** Reads a process's memory every `everyMs` and keeps the highest VmRSS seen, besides the kernel's own high-water mark. */
export class MemoryWatch {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 250,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs).unref();
    this.sample();
  }

  sample(): ProcessMemory | null {
    const now = processMemory(this.pid);
    if (now !== null) this.peak = Math.max(this.peak, now.rssMb);
    return now;
  }

  /** The highest VmRSS sampled so far, in MB. */
  get peakRssMb(): number {
    return this.peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LagSummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * How late this process's event loop runs a timer: the time a message or a timer waits before
 * JavaScript gets to it. Sampled by a timer ticking every `tickMs`; only the lateness is kept.
 */
export class EventLoopLag {
  private readonly histogram: IntervalHistogram;

  constructor(private readonly tickMs = 10) {
    this.histogram = monitorEventLoopDelay({ resolution: tickMs });
    this.histogram.enable();
  }

  reset(): void {
    this.histogram.reset();
  }

  /** In milliseconds, to 0.01 ms. */
  summary(): LagSummary {
    // The histogram holds whole intervals between ticks; the tick itself is not lateness.
    const late = (ns: number) => Math.round(Math.max(0, ns / 1e6 - this.tickMs) * 100) / 100;
    const h = this.histogram;
    return { p50: late(h.percentile(50)), p99: late(h.percentile(99)), max: late(h.max), mean: late(h.mean) };
  }

  stop(): void {
    this.histogram.disable();
  }
}

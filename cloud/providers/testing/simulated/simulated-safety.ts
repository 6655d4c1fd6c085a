import { abortError } from '../../provider-error.js';
import type { SafetyDirection, SafetyFilter, SafetyVerdict } from '../../safety/safety-filter.js';
import { simulatedDelay } from './simulated-delay.js';
import type { LatencyObserver } from './simulated-latencies.js';

export interface SimulatedSafetyOptions {
  /** How long one check takes, either direction. */
  readonly latencyMs: number;
  /**
   * Who decides, when the verdicts matter (the word list, say); its verdict comes after
   * `latencyMs` all the same. Without one, everything is allowed.
   */
  readonly judge?: SafetyFilter;
  readonly observe?: LatencyObserver;
}

/** A safety service that answers after a fixed time: allowed, or what its judge says. */
export class SimulatedSafety implements SafetyFilter {
  readonly name: string;
  private readonly options: SimulatedSafetyOptions;

  constructor(options: SimulatedSafetyOptions) {
    this.options = options;
    // A verdict names the layer that decided; "simulated+local" covers both.
    this.name = options.judge === undefined ? 'simulated' : `simulated+${options.judge.name}`;
  }

  async check(text: string, direction: SafetyDirection, signal: AbortSignal): Promise<SafetyVerdict> {
    if (signal.aborted) throw abortError(signal);
    // The judge works while the time runs, as a service would; the slower of the two decides when.
    const [verdict, waited] = await Promise.all([
      this.options.judge?.check(text, direction, signal) ?? Promise.resolve(undefined),
      simulatedDelay(this.options.latencyMs, signal),
    ]);
    this.options.observe?.('safety', this.options.latencyMs, waited);
    return verdict ?? { allowed: true, categories: {}, severity: 0, provider: this.name };
  }
}

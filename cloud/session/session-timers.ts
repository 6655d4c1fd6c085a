/** Runs `run` after `delayMs`; returns what cancels it. */
export type Schedule = (run: () => void, delayMs: number) => () => void;

const realSchedule: Schedule = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  return () => clearTimeout(timer);
};

/**
 * The two clocks of a connection: a device must say hello in time, and once
 * welcomed must be heard from at least every heartbeat interval plus its
 * timeout. Either running out calls `expired` with which one it was.
 */
export class SessionTimers {
  private cancelHello: (() => void) | undefined;
  private cancelSilence: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly expired: (which: 'hello' | 'silence') => void,
    private readonly schedule: Schedule = realSchedule,
  ) {}

  /** Starts the hello deadline. */
  awaitHello(ms: number): void {
    if (this.stopped) return;
    this.cancelHello?.();
    this.cancelHello = this.schedule(() => this.expired('hello'), ms);
  }

  /** The hello came in time: a slow secret check must not be mistaken for a silent device. */
  helloArrived(): void {
    this.cancelHello?.();
    this.cancelHello = undefined;
  }

  /** Something was heard from the welcomed device: the silence deadline starts again. */
  heard(heartbeat: { readonly intervalMs: number; readonly timeoutMs: number }): void {
    if (this.stopped) return;
    this.cancelSilence?.();
    this.cancelSilence = this.schedule(() => this.expired('silence'), heartbeat.intervalMs + heartbeat.timeoutMs);
  }

  stop(): void {
    this.stopped = true;
    this.cancelHello?.();
    this.cancelSilence?.();
  }
}

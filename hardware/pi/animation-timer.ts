import type { Timers } from './timers.js';

/** Calls `frame(tick)` every `intervalMs` (tick 1, 2, ...) until stopped; one animation at a time. */
export class AnimationTimer {
  private readonly timers: Timers;
  private handle: unknown;
  private generation = 0;

  constructor(timers: Timers) {
    this.timers = timers;
  }

  get running(): boolean {
    return this.handle !== undefined;
  }

  start(intervalMs: number, frame: (tick: number) => void): void {
    this.stop();
    const generation = this.generation;
    let tick = 0;
    const next = (): void => {
      this.handle = this.timers.setTimeout(() => {
        if (generation !== this.generation) return;
        frame(++tick);
        if (generation === this.generation) next();
      }, intervalMs);
    };
    next();
  }

  stop(): void {
    this.generation++;
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }
}

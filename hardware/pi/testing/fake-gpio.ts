import type { GpioInput, GpioOutput } from '../gpio-line.js';

/** A GPIO input a test drives: set() changes the level and reports the edge, as the kernel would. */
export class FakeGpioInput implements GpioInput {
  private level: number;
  private listener: ((value: number) => void) | undefined;
  closed = false;

  constructor(level = 1) {
    this.level = level;
  }

  read(): number {
    return this.level;
  }

  watch(listener: (value: number) => void): void {
    this.listener = listener;
  }

  /** A clean edge to `value` (nothing happens if the level is already `value`). */
  set(value: number): void {
    if (this.closed || value === this.level) return;
    this.level = value;
    this.listener?.(value);
  }

  /** Contact bounce: `bounces` quick flips, then settles on `value`. */
  bounceTo(value: number, bounces = 3): void {
    for (let i = 0; i < bounces; i++) {
      this.set(value);
      this.set(value === 0 ? 1 : 0);
    }
    this.set(value);
  }

  close(): void {
    this.closed = true;
    this.listener = undefined;
  }
}

/** A GPIO output that remembers every level written to it. */
export class FakeGpioOutput implements GpioOutput {
  readonly writes: number[] = [];
  closed = false;

  get value(): number | undefined {
    return this.writes[this.writes.length - 1];
  }

  write(value: number): void {
    if (this.closed) throw new Error('write to a closed GPIO line');
    this.writes.push(value);
  }

  close(): void {
    this.closed = true;
  }
}

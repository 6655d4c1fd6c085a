import type { Button, ButtonEvent, Unsubscribe } from '../button.js';
import { ButtonListeners } from '../button-listeners.js';
import type { GpioInput } from './gpio-line.js';
import { realTimers } from './timers.js';
import type { Timers } from './timers.js';

export interface GpioButtonOptions {
  /** A level must hold this long before it counts. Default 30 ms. */
  debounceMs?: number;
  /** Held this long, the button fires 'longPress' once (while still held). Default 1500 ms. */
  longPressMs?: number;
  /** True when pressing pulls the line low (a button to ground with a pull-up). Default true. */
  activeLow?: boolean;
  timers?: Timers;
}

export const DEFAULT_DEBOUNCE_MS = 30;
export const DEFAULT_LONG_PRESS_MS = 1500;

/**
 * The push-to-talk button on a GPIO line. Every edge restarts a debounce
 * timer; only a level that holds for `debounceMs` changes the button's state.
 * A button already held when the driver starts is ignored until released.
 */
export class GpioButton implements Button {
  readonly debounceMs: number;
  readonly longPressMs: number;
  private readonly line: GpioInput;
  private readonly activeLow: boolean;
  private readonly timers: Timers;
  private readonly listeners = new ButtonListeners();
  private pressed: boolean;
  private heldAtStart: boolean;
  private level: number;
  private debounceTimer: unknown;
  private longPressTimer: unknown;
  private closed = false;

  constructor(line: GpioInput, options: GpioButtonOptions = {}) {
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.longPressMs = options.longPressMs ?? DEFAULT_LONG_PRESS_MS;
    if (!(this.debounceMs >= 0)) throw new RangeError(`debounceMs must be 0 or more, got ${this.debounceMs}`);
    if (!(this.longPressMs > 0)) throw new RangeError(`longPressMs must be positive, got ${this.longPressMs}`);
    this.line = line;
    this.activeLow = options.activeLow ?? true;
    this.timers = options.timers ?? realTimers;
    this.level = line.read();
    this.pressed = this.isPressedLevel(this.level);
    this.heldAtStart = this.pressed;
    line.watch((value) => this.onEdge(value));
  }

  /** The debounced state. */
  get isPressed(): boolean {
    return this.pressed && !this.heldAtStart;
  }

  subscribe(listener: (event: ButtonEvent) => void): Unsubscribe {
    if (this.closed) return () => undefined;
    return this.listeners.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancel('debounceTimer');
    this.cancel('longPressTimer');
    this.listeners.clear();
    this.line.close();
  }

  private onEdge(value: number): void {
    if (this.closed) return;
    this.level = value;
    this.cancel('debounceTimer');
    if (this.debounceMs === 0) this.settle();
    else this.debounceTimer = this.timers.setTimeout(() => this.settle(), this.debounceMs);
  }

  private settle(): void {
    this.debounceTimer = undefined;
    if (this.closed) return;
    const pressed = this.isPressedLevel(this.level);
    if (pressed === this.pressed) return;
    this.pressed = pressed;
    if (this.heldAtStart) {
      // The release of a press nobody heard begin.
      if (!pressed) this.heldAtStart = false;
      return;
    }
    if (pressed) {
      this.listeners.emit('press');
      this.longPressTimer = this.timers.setTimeout(() => {
        this.longPressTimer = undefined;
        if (!this.closed && this.pressed) this.listeners.emit('longPress');
      }, this.longPressMs);
    } else {
      this.cancel('longPressTimer');
      this.listeners.emit('release');
    }
  }

  private isPressedLevel(value: number): boolean {
    return (value !== 0) !== this.activeLow;
  }

  private cancel(which: 'debounceTimer' | 'longPressTimer'): void {
    if (this[which] !== undefined) this.timers.clearTimeout(this[which]);
    this[which] = undefined;
  }
}

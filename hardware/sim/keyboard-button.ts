import type { Button, ButtonEvent, Unsubscribe } from '../button.js';
import { ButtonListeners } from '../button-listeners.js';

/** The part of process.stdin the button uses, so tests can hand in a fake. */
export interface KeyInput {
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
  readonly isTTY?: boolean;
  readonly isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface KeyTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface KeyboardButtonOptions {
  input?: KeyInput;
  timers?: KeyTimers;
  /** How long after the first space an auto-repeat may still arrive and mean "held". */
  repeatWindowMs?: number;
  /** Silence after the last auto-repeat that means the key was let go. */
  releaseAfterMs?: number;
  /** When set, a press lasting this long also emits 'longPress'. Off by default. */
  longPressMs?: number;
  /** Called on Ctrl-C, which raw mode no longer turns into a signal. */
  onInterrupt?: () => void;
}

const SPACE = 0x20;
const CTRL_C = 0x03;

type State = 'up' | 'undecided' | 'held' | 'latched';

/**
 * The space bar as the push-to-talk button. Terminals report no key-up, so:
 * holding space produces auto-repeats and the button is released when they
 * stop; a single tap (no repeat follows) latches the button down until the
 * next space.
 */
export class KeyboardButton implements Button {
  private readonly listeners = new ButtonListeners();
  private readonly input: KeyInput;
  private readonly timers: KeyTimers;
  private readonly repeatWindowMs: number;
  private readonly releaseAfterMs: number;
  private readonly longPressMs: number | undefined;
  private readonly onInterrupt: () => void;
  private readonly wasRaw: boolean | undefined;
  private state: State = 'up';
  private decideTimer: unknown;
  private longPressTimer: unknown;
  private closed = false;
  private readonly onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (const byte of bytes) {
      if (this.closed) return;
      if (byte === CTRL_C) this.onInterrupt();
      else if (byte === SPACE) this.space();
    }
  };

  constructor(options: KeyboardButtonOptions = {}) {
    this.input = options.input ?? process.stdin;
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.repeatWindowMs = options.repeatWindowMs ?? 700;
    this.releaseAfterMs = options.releaseAfterMs ?? 200;
    this.longPressMs = options.longPressMs;
    this.onInterrupt = options.onInterrupt ?? (() => process.kill(process.pid, 'SIGINT'));
    if (this.input.isTTY === true && typeof this.input.setRawMode === 'function') {
      this.wasRaw = this.input.isRaw === true;
      this.input.setRawMode(true);
    }
    this.input.on('data', this.onData);
    this.input.resume();
  }

  subscribe(listener: (event: ButtonEvent) => void): Unsubscribe {
    if (this.closed) return () => undefined;
    return this.listeners.subscribe(listener);
  }

  /** Releases the button if it is down, restores the terminal and stops reading. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.state !== 'up') this.release();
    this.closed = true;
    this.listeners.clear();
    this.input.off('data', this.onData);
    if (this.wasRaw !== undefined) this.input.setRawMode?.(this.wasRaw);
    // Paused, stdin no longer keeps the process alive.
    this.input.pause();
  }

  private space(): void {
    switch (this.state) {
      case 'up':
        this.state = 'undecided';
        this.listeners.emit('press');
        this.armLongPress();
        this.schedule(this.repeatWindowMs, () => {
          this.state = 'latched';
        });
        return;
      case 'undecided':
      case 'held':
        this.state = 'held';
        this.schedule(this.releaseAfterMs, () => this.release());
        return;
      case 'latched':
        this.release();
        return;
    }
  }

  private release(): void {
    this.cancel();
    this.state = 'up';
    this.listeners.emit('release');
  }

  private schedule(ms: number, callback: () => void): void {
    if (this.decideTimer !== undefined) this.timers.clearTimeout(this.decideTimer);
    this.decideTimer = this.timers.setTimeout(() => {
      this.decideTimer = undefined;
      callback();
    }, ms);
  }

  private armLongPress(): void {
    if (this.longPressMs === undefined) return;
    this.longPressTimer = this.timers.setTimeout(() => {
      this.longPressTimer = undefined;
      if (this.state !== 'up') this.listeners.emit('longPress');
    }, this.longPressMs);
  }

  private cancel(): void {
    if (this.decideTimer !== undefined) this.timers.clearTimeout(this.decideTimer);
    if (this.longPressTimer !== undefined) this.timers.clearTimeout(this.longPressTimer);
    this.decideTimer = undefined;
    this.longPressTimer = undefined;
  }
}

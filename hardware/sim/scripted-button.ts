import type { Button, ButtonEvent, Unsubscribe } from '../button.js';
import { ButtonListeners } from '../button-listeners.js';

/** A button pressed by code: scripted runs and tests call press() and release(). */
export class ScriptedButton implements Button {
  private readonly listeners = new ButtonListeners();
  private closed = false;

  subscribe(listener: (event: ButtonEvent) => void): Unsubscribe {
    if (this.closed) return () => undefined;
    return this.listeners.subscribe(listener);
  }

  press(): void {
    this.emit('press');
  }

  release(): void {
    this.emit('release');
  }

  /** Fires the long-press event; like the real button, the caller still owes a release(). */
  longPress(): void {
    this.emit('longPress');
  }

  emit(event: ButtonEvent): void {
    if (!this.closed) this.listeners.emit(event);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }
}

import type { ButtonEvent, Unsubscribe } from './button.js';

/** The subscriber list every Button driver needs. */
export class ButtonListeners {
  private readonly listeners = new Set<(event: ButtonEvent) => void>();

  subscribe(listener: (event: ButtonEvent) => void): Unsubscribe {
    // Wrapped so the same function subscribed twice is called twice and unsubscribes independently.
    const entry = (event: ButtonEvent): void => listener(event);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  emit(event: ButtonEvent): void {
    // A copy, so listeners may unsubscribe (or subscribe) while being called.
    for (const listener of [...this.listeners]) listener(event);
  }

  clear(): void {
    this.listeners.clear();
  }

  get size(): number {
    return this.listeners.size;
  }
}

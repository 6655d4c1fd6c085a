/** What a button reports. A long press fires once while still held, before its release. */
export type ButtonEvent = 'press' | 'release' | 'longPress';

export type Unsubscribe = () => void;

/** The toy's one push-to-talk button. */
export interface Button {
  /** Listens for presses and releases; returns a function that stops listening. */
  subscribe(listener: (event: ButtonEvent) => void): Unsubscribe;
  close(): Promise<void>;
}

export type Rgb = readonly [red: number, green: number, blue: number];

/** How a colour moves. The driver animates on its own timer, never on the audio path. */
export type LedAnimation = 'solid' | 'pulse' | 'blink' | 'spin' | 'off';

/** A pattern to show. `name` is for people reading a simulator or a log. */
export interface LedPattern {
  readonly name: string;
  readonly color: Rgb;
  readonly animation: LedAnimation;
}

export interface Leds {
  show(pattern: LedPattern): void;
  close(): Promise<void>;
}

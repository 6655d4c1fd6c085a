/** One GPIO line read as an input: the boundary between the button and the GPIO library. */
export interface GpioInput {
  /** The line's level now: 0 or 1. */
  read(): number;
  /** Calls `listener` with the new level after each edge (bounces included). One listener per line. */
  watch(listener: (value: number) => void): void;
  close(): void;
}

/** One GPIO line driven as an output. */
export interface GpioOutput {
  write(value: number): void;
  close(): void;
}

/** Where a line is: chip `/dev/gpiochipN` and the line's offset on it (the BCM number on a Raspberry Pi). */
export interface GpioLineAddress {
  chip: number;
  line: number;
}

export type GpioBias = 'pull-up' | 'pull-down' | 'as-is';

/** Which library reaches the lines: the character device (libgpiod) or the older sysfs interface (onoff). */
export type GpioBackend = 'libgpiod' | 'sysfs';

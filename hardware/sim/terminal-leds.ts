import type { LedPattern, Leds } from '../leds.js';

/** Where the lines go: process.stderr or anything that looks like it. */
export interface LedOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly writableNeedDrain?: boolean;
}

/**
 * Shows the LED state as a line of text: a coloured dot and the pattern's name
 * on a terminal, `[leds] name` elsewhere. Animations are named, not drawn.
 */
export class TerminalLeds implements Leds {
  private readonly output: LedOutput;
  private readonly color: boolean;
  private closed = false;

  constructor(options: { output?: LedOutput; color?: boolean } = {}) {
    this.output = options.output ?? process.stderr;
    this.color = options.color ?? this.output.isTTY === true;
  }

  show(pattern: LedPattern): void {
    // A pipe nobody reads must not grow a queue: drop lines until it drains.
    if (this.closed || this.output.writableNeedDrain === true) return;
    this.output.write(this.color ? colourLine(pattern) : `[leds] ${pattern.name}\n`);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function colourLine(pattern: LedPattern): string {
  if (pattern.animation === 'off') return `\x1b[2m○ ${pattern.name}\x1b[0m\n`;
  const [r, g, b] = pattern.color.map((c) => Math.max(0, Math.min(255, Math.round(c))));
  const motion = pattern.animation === 'solid' ? '' : ` \x1b[2m(${pattern.animation})\x1b[0m`;
  return `\x1b[38;2;${r};${g};${b}m●\x1b[0m ${pattern.name}${motion}\n`;
}

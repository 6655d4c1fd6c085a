import type { LogLevel } from '../log/log.js';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(ORDER, value);
}

/** One JSON line per entry at or above `minLevel`, on stderr unless told otherwise. */
export function createLog(
  minLevel: LogLevel,
  fields: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stderr.write(line),
) {
  return (level: LogLevel, message: string, extra?: Record<string, unknown>): void => {
    if (ORDER[level] < ORDER[minLevel]) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, ...fields, message, ...extra };
    // The entry's own level and message win over any field of the same name; keys keep their places.
    entry['level'] = level;
    entry['message'] = message;
    write(`${JSON.stringify(entry)}\n`);
  };
}

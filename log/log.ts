export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Structured logging: a message and fields; the composition root decides where
 * lines go. Secrets never go into fields.
 */
export type Log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export const silentLog: Log = () => {};

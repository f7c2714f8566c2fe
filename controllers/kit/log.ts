// Structured JSON logging. Every component takes a Logger and derives children carrying its
// context (`logger.child({ controller, key })`), so each line says which reconcile produced it.

import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** npm levels: error, warn, info, http, verbose, debug, silly. Default `$LOG_LEVEL` or info. */
  level?: string;
  /** Drop every line (tests). */
  silent?: boolean;
  /** Fields added to every line. */
  defaultMeta?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return winston.createLogger({
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    silent: options.silent ?? false,
    defaultMeta: options.defaultMeta,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
}

/** A logger that writes nothing; the default for components built without one. */
export function silentLogger(): Logger {
  return createLogger({ silent: true });
}

/** The message of anything thrown, for log fields, conditions and events. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

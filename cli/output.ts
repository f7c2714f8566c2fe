// Where the CLI writes: stdout for results, stderr for progress and errors, and whether the
// terminal takes colors and in-place redraws. Commands take an Output so tests can capture it.

import { Writable } from 'node:stream';
import winston from 'winston';

import type { Logger } from '../controllers/kit/log.js';

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: colors and redrawing in place are fine. */
  readonly interactive: boolean;
}

export function processOutput(): Output {
  const interactive =
    Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb';
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive,
  };
}

/** An Output collecting everything (tests, and callers that print later). */
export function bufferOutput(interactive = false): Output & { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  return {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    interactive,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

/**
 * A logger for code the CLI shares with the controller (e.g. installing manifests): one readable
 * line per entry on stderr, `message key=value ...`, instead of the controller's JSON.
 */
export function cliLogger(output: Output, level: string = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  const line = winston.format.printf((info) => {
    const {
      level: lvl,
      message,
      ...fields
    } = info as Record<string, unknown> & { level: string; message: unknown };
    const extra = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    const prefix = lvl === 'info' ? '' : `${lvl}: `;
    return `${prefix}${String(message)}${extra ? ` ${extra}` : ''}`;
  });
  return winston.createLogger({
    level,
    format: line,
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk: Buffer | string, _encoding, done) {
            const text = chunk.toString();
            output.err(text.endsWith('\n') ? text : `${text}\n`);
            done();
          },
        }),
      }),
    ],
  });
}

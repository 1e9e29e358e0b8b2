import pino, { type Logger } from 'pino';
import type { LogLevel } from '../../config';

export type { Logger };

/** Paths never written to the logs, whatever logs them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

/** The one logger factory; `role` is "primary", "w<index>" or a script name, on every line. */
export function createLogger(level: LogLevel, role: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { role, pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** Long enough for a log line queued behind many others; short enough not to hold up an exit. */
const LOG_FLUSH_TIMEOUT_MS = 2_000;

/**
 * Exits once the lines logged so far are written. Under pm2's cluster mode the logger writes
 * through pm2's own process.stdout.write, which appends to the instance's log file
 * asynchronously: a process.exit() right after a log call loses that line, and any queued
 * before it. The empty write's callback runs after every earlier write has finished.
 */
export function exitAfterLogs(code: number, timeoutMs = LOG_FLUSH_TIMEOUT_MS): void {
  const exit = () => process.exit(code);
  setTimeout(exit, timeoutMs);
  try {
    process.stdout.write('', exit);
  } catch {
    exit();
  }
}

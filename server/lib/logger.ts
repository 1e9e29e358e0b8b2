import pino, { type Logger } from 'pino';
import { EXIT_OUTPUT_WAIT_MS, type LogLevel } from '../../config';

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
    destination ?? (stdoutIsWrapped() ? trackedWrapperStdout() : undefined),
  );
}

/** Settles once the latest line written through a wrapped process.stdout is in its file. */
let lastWrapperWrite: Promise<void> = Promise.resolve();

/**
 * pm2's cluster mode replaces process.stdout.write with its own, which appends to the instance's log
 * file asynchronously; pino then writes through it. This destination does the same, and keeps the
 * completion of the latest write so that an exit can wait for it. It writes nothing of its own.
 */
function trackedWrapperStdout(): pino.DestinationStream {
  return {
    write(line: string) {
      lastWrapperWrite = new Promise((resolve) => process.stdout.write(line, undefined, () => resolve()));
    },
  };
}

/** The test pino applies before it writes through process.stdout rather than straight to fd 1. */
const stdoutIsWrapped = () => process.stdout.write !== Object.getPrototypeOf(process.stdout).write;

/**
 * Exits once the lines logged so far are written, or after EXIT_OUTPUT_WAIT_MS. Under pm2's
 * cluster mode, a process.exit() right after a log call would lose that line and any queued before
 * it. Otherwise pino writes to fd 1 itself and flushes synchronously at exit, so this exits at once.
 */
export function exitAfterLogs(code: number): void {
  const exit = () => process.exit(code);
  setTimeout(exit, EXIT_OUTPUT_WAIT_MS);
  void lastWrapperWrite.then(exit);
}

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

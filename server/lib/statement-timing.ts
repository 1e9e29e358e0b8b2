/**
 * Timing each statement, for the statement histogram and the slow-statement
 * log. Kept apart from ./db so that module stays about the driver; nothing here
 * touches `pg`.
 */
import { performance } from 'node:perf_hooks';
import type { PoolObserver } from './db-types';
import type { Logger } from './logger';
import { currentRequest } from './request-context';

/** Told how long each statement took, excluding any wait for a connection. */
export type StatementHook = (text: string, durationMs: number, failed: boolean) => void;

/** Runs `statement` (whose SQL is `text`) and tells `hook` how long it took, failed or not. */
export async function timeStatement<R>(text: string, statement: () => Promise<R>, hook?: StatementHook): Promise<R> {
  if (!hook) return statement();
  const started = performance.now();
  try {
    const result = await statement();
    hook(text, performance.now() - started, false);
    return result;
  } catch (err) {
    hook(text, performance.now() - started, true);
    throw err;
  }
}

/** Reports each statement to `observer`, and logs those at least `slowQueryMs` long (0: none). */
export function statementHook(logger: Logger, slowQueryMs: number, observer?: PoolObserver): StatementHook {
  return (text, durationMs, failed) => {
    const request = currentRequest();
    observer?.statement(durationMs, request?.route, failed);
    if (slowQueryMs > 0 && durationMs >= slowQueryMs) {
      // The text only: parameters may hold personal data or secrets and are never logged.
      logger.warn(
        {
          statement: text.replace(/\s+/g, ' ').trim(),
          durationMs: Math.round(durationMs),
          failed,
          route: request?.route,
          requestId: request?.requestId,
        },
        'slow statement',
      );
    }
  };
}

import { Router } from 'express';
import type { Database } from '../lib/db';
import { DatabaseQueryError, DatabaseUnavailableError, ServiceUnavailable } from '../lib/errors';

import { sendJson } from '../lib/respond';
/** How recent a successful statement must be for a busy pool to still count as ready. */
const RECENT_SUCCESS_MS = 2_000;

export interface Lifecycle {
  /** True once the worker has begun shutting down; readiness then reports 503. */
  isShuttingDown(): boolean;
}

/**
 * Liveness never touches the database, so a database outage cannot get every
 * container restarted; readiness does, so a load balancer stops sending work here.
 */
export interface ReadinessOptions {
  /** 503 when `SELECT 1` takes longer. */
  readonly timeoutMs: number;
  /** 503 once the pool's wait queue has been full this long; 0: never for that reason. */
  readonly failWhenSaturatedMs: number;
}

export function healthRouter(db: Database, lifecycle: Lifecycle, readiness: ReadinessOptions): Router {
  const readinessTimeoutMs = readiness.timeoutMs;
  const router = Router();

  router.get('/livez', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    sendJson(res, { status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    if (lifecycle.isShuttingDown()) {
      throw new ServiceUnavailable('shutting-down', 'This process is shutting down.', 1);
    }
    const queueFullMs = db.msQueueFull();
    if (readiness.failWhenSaturatedMs > 0 && queueFullMs >= readiness.failWhenSaturatedMs) {
      // Opt-in: a balancer with other hosts to choose from can send the overflow there instead.
      throw new ServiceUnavailable(
        'saturated',
        `Every database connection has been busy, with a full queue, for ${queueFullMs} ms.`,
        1,
      );
    }
    let saturated = false;
    try {
      await db.ping(readinessTimeoutMs);
    } catch (err) {
      // A ping stuck behind queued requests says the pool is busy, not that the database is down:
      // while statements keep succeeding, stay in rotation rather than pull every pod at once.
      // A ping the database refused or cut off (down, shutting down) says it is down, however busy.
      const databaseDown = err instanceof DatabaseUnavailableError || err instanceof DatabaseQueryError;
      saturated =
        !databaseDown &&
        db.stats().waiting > 0 &&
        db.msSinceLastSuccess() <= Math.max(readinessTimeoutMs, RECENT_SUCCESS_MS);
      if (!saturated) throw new ServiceUnavailable('database-unavailable', 'The database is not answering.', 2, err);
    }
    const { max, total, idle, waiting } = db.stats();
    res.setHeader('Cache-Control', 'no-store');
    sendJson(res, { status: 'ready', saturated, pool: { max, total, idle, waiting, queueFullMs } });
  });

  return router;
}

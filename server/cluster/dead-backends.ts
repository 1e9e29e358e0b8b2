/**
 * When a worker dies, its database sessions can outlive it: an idle one ends as
 * soon as its socket closes, but one running a statement only when the
 * statement ends or client_connection_check_interval notices. Its replacement
 * may open its pool only once they are gone, or the host could briefly hold
 * more than its budget. Rather than always wait the worst case, the primary
 * asks a surviving worker (over a connection the budget already counts) to
 * look in pg_stat_activity, and restarts as soon as they are gone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../lib/db';

/** In a worker: how many sessions are open under `applicationName` in this database. */
export async function countBackends(db: Db, applicationName: string): Promise<number> {
  const row = await db.one<{ n: number }>({
    text: `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = $1`,
    values: [applicationName],
  });
  return row.n;
}

/** How often the primary asks again while some are left. */
const POLL_MS = 50;

/**
 * In the primary: resolves once `count` says none are left (confirmed), or once
 * `graceMs` has passed (the worst case: then they are gone by construction).
 * `count` answers null when it cannot tell (no worker to ask, a busy pool);
 * another host with the same APP_NAME on the same database keeps the count
 * above 0, which only falls back to the grace.
 */
export async function waitForBackendsGone(
  count: (timeoutMs: number) => Promise<number | null>,
  graceMs: number,
): Promise<{ confirmed: boolean; waitedMs: number }> {
  const started = Date.now();
  const deadline = started + graceMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return { confirmed: false, waitedMs: Date.now() - started };
    if ((await count(left)) === 0) return { confirmed: true, waitedMs: Date.now() - started };
    await sleep(Math.max(0, Math.min(POLL_MS, deadline - Date.now())));
  }
}

/**
 * Replaces every worker, one at a time, each new one ready before the old one
 * stops (SIGUSR2 or SIGHUP to the primary). The overlap needs one pool more
 * than the host runs, so first every pool shrinks to a split over N + 1 (each
 * shrink confirmed), and each replacement takes the smallest share of that
 * split. At every moment the running pools sum to at most the budget:
 * replaced ones ≤ smallest share each, old ones their N + 1 share, and one
 * booting replacement the smallest share.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger';
import { planRebalance } from './rebalance';
import type { Supervisor } from './supervisor';

/** Stands for the replacement in the N + 1 split; sorted last, so it gets the smallest share. */
const OVERLAP = Number.MAX_SAFE_INTEGER;

export interface RollingRestartOptions {
  /** How long a replacement may take to become ready before the restart is abandoned. */
  readonly readyTimeoutMs: number;
  readonly logger: Logger;
}

export async function rollingRestart(supervisor: Supervisor, opts: RollingRestartOptions): Promise<void> {
  const started = Date.now();
  const shares = new Map(supervisor.currentShares());
  const indexes = [...shares.keys()].sort((a, b) => a - b);
  // Refuses (BudgetError) when the budget has no room for one more worker: nothing was changed yet.
  const roomy = planRebalance(supervisor.perHost, new Map([...shares, [OVERLAP, 0]]));
  const overlapPool = roomy.shares.get(OVERLAP) as number;
  opts.logger.info({ workers: indexes.length, overlapPool }, 'rolling restart: making room for one more worker');
  // A restart deploys what is on disk now; the spare loaded what was there before.
  supervisor.discardSpare();
  try {
    if (!(await supervisor.applyResizes(roomy.shrinks, []))) {
      throw new Error('rolling restart abandoned: a worker did not shrink its pool in time');
    }
    for (const index of indexes) {
      const replacement = await supervisor.startReplacement(index, overlapPool, opts.readyTimeoutMs);
      await supervisor.retire(index, replacement, overlapPool);
      opts.logger.info({ worker: index, workerPid: replacement.process.pid }, 'rolling restart: worker replaced');
    }
  } catch (err) {
    // Abandoned: give the shares back rather than run shrunk for good (a failed replacement has
    // been killed; its connections get the grace to end first).
    await sleep(supervisor.deadWorkerGraceMs);
    await supervisor.resplit();
    throw err;
  }
  // Everyone runs at the smallest share now; grow back to the split over N (grows only).
  await supervisor.resplit();
  opts.logger.info(
    { shares: Object.fromEntries(supervisor.currentShares()), ms: Date.now() - started },
    'rolling restart done',
  );
}

/**
 * What `pm2 reload` does to a plan, modelled on what server/worker.ts does under
 * pm2: plan the host's budget over WEB_CONCURRENCY + PM2_RELOAD_PARALLEL workers
 * (so the same requests are refused), then give every instance the same pool
 * from pm2InstancePool. Pure, like the planner.
 */
import { BudgetError, planBudget, pm2InstancePool, type BudgetRequest } from '../lib/budget';

export interface OverlapPlan {
  /** PM2_RELOAD_PARALLEL: replacements a reload runs beside the instances they replace. */
  readonly extraWorkers: number;
  /** Pool of each pm2 instance, by NODE_APP_INSTANCE (all the same); null when pm2 instances refuse to start. */
  readonly pm2Pools: readonly number[] | null;
  /** Per-host connections no instance takes (per host − instances × pool): the replacements use them. */
  readonly pm2Spare: number | null;
  /** Most one host can hold mid-reload: (instances + PM2_RELOAD_PARALLEL) × pool, never above per host. */
  readonly pm2PeakPerHost: number | null;
}

export interface OverlapOutcome {
  readonly overlap: OverlapPlan;
  /** Why pm2 instances would refuse to start, as the worker says it; null when they start. */
  readonly refusal: string | null;
}

/** `req` is the request the plan was made with; its `workers` is WEB_CONCURRENCY. */
export function planPm2Overlap(req: BudgetRequest, reloadParallel: number): OverlapOutcome {
  const instances = req.workers;
  const planned = instances + reloadParallel;
  let pool: number;
  let perHost: number;
  try {
    perHost = planBudget({ ...req, workers: planned }).perHost;
    pool = pm2InstancePool(perHost, instances, reloadParallel);
  } catch (err) {
    if (!(err instanceof BudgetError)) throw err;
    return {
      overlap: { extraWorkers: reloadParallel, pm2Pools: null, pm2Spare: null, pm2PeakPerHost: null },
      refusal:
        `under pm2, WEB_CONCURRENCY=${instances} + PM2_RELOAD_PARALLEL=${reloadParallel} = ${planned} processes ` +
        'share the host budget during a reload, so pm2 instances refuse to start (npm start is unaffected: its ' +
        `primary replaces a worker only after the old one exits): ${err.message}`,
    };
  }
  return {
    overlap: {
      extraWorkers: reloadParallel,
      pm2Pools: Array.from({ length: instances }, () => pool),
      pm2Spare: perHost - instances * pool,
      pm2PeakPerHost: planned * pool,
    },
    refusal: null,
  };
}

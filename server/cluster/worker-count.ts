/**
 * Changing how many workers a host runs, live: SIGTTIN adds one, SIGTTOU
 * removes one (never the last), as gunicorn does. The budget is re-split over
 * the new count with the same rule as a rebalance: pools that shrink confirm
 * before any pool grows or a new worker opens one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger';
import { planRebalance } from './rebalance';
import type { Supervisor } from './supervisor';

/** Adds a worker at the next free index. Throws BudgetError (nothing changed) when the budget has no room. */
export async function addWorker(supervisor: Supervisor, logger: Logger): Promise<void> {
  const shares = supervisor.currentShares();
  const index = Math.max(-1, ...shares.keys()) + 1;
  const plan = planRebalance(supervisor.perHost, new Map([...shares, [index, 0]]));
  if (!(await supervisor.applyResizes(plan.shrinks, []))) {
    // Give back what did shrink: the host keeps its workers at their full split.
    await supervisor.resplit();
    throw new Error('no worker added: a worker did not shrink its pool in time');
  }
  supervisor.addWorker(index, plan.shares.get(index) as number);
  logger.info({ shares: Object.fromEntries(supervisor.currentShares()) }, 'worker count changed');
}

/** Removes the worker with the highest index and lets the others grow into its share. */
export async function removeWorker(supervisor: Supervisor, logger: Logger): Promise<void> {
  const indexes = [...supervisor.currentShares().keys()];
  if (indexes.length <= 1) {
    logger.warn('not removing the last worker; stop the server instead');
    return;
  }
  await supervisor.removeWorker(Math.max(...indexes));
  // Its connections close with its process; let the database see them go before others grow.
  await sleep(supervisor.deadWorkerGraceMs);
  await supervisor.resplit();
  logger.info({ shares: Object.fromEntries(supervisor.currentShares()) }, 'worker count changed');
}

/**
 * Connection-budget arithmetic. Pure: no I/O, no clock, no config. Process code
 * reads the inputs and calls these; the tests drive them with tables.
 *
 *   usable   = max_connections − superuser_reserved − reserved (PG16+) − headroom
 *   per host = floor(usable / replicas)           (auto)
 *            = floor(DB_CONNECTION_BUDGET / replicas)  (explicit, never above auto)
 *   shares   = per host split over workers, differing by at most 1
 *   pm2 pool = floor(per host / (instances + reload parallel)), the same for every instance
 */

export interface ServerLimits {
  readonly maxConnections: number;
  readonly superuserReservedConnections: number;
  /** `reserved_connections`, PostgreSQL 16+; 0 on older servers. */
  readonly reservedConnections: number;
}

export interface BudgetRequest {
  /** 'auto', or the connections for the whole deployment across all replicas. */
  readonly requested: number | 'auto';
  readonly limits: ServerLimits;
  /** Connections kept free for admin tools, migrations and monitoring. */
  readonly headroom: number;
  readonly replicas: number;
  readonly workers: number;
}

export interface BudgetPlan {
  readonly source: 'auto' | 'explicit';
  /** What the server can give the whole deployment after reservations and headroom. */
  readonly usable: number;
  /** This host's budget: the most connections all of its workers together may hold. */
  readonly perHost: number;
  /** Pool size of each worker, by worker index. */
  readonly shares: readonly number[];
}

export class BudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetError';
  }
}

function requireCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new BudgetError(`${name} must be an integer ≥ ${min}, got ${String(value)}`);
  }
}

/** Connections the server can give this application as a whole; may be ≤ 0. */
export function usableConnections(limits: ServerLimits, headroom: number): number {
  requireCount('max_connections', limits.maxConnections, 0);
  requireCount('superuser_reserved_connections', limits.superuserReservedConnections, 0);
  requireCount('reserved_connections', limits.reservedConnections, 0);
  requireCount('headroom', headroom, 0);
  return limits.maxConnections - limits.superuserReservedConnections - limits.reservedConnections - headroom;
}

/**
 * Splits a budget over workers. Invariant: shares differ by ≤ 1, sum to exactly
 * `budget`, and each is ≥ 1. Refuses rather than round anyone up to 1.
 */
export function splitBudget(budget: number, workers: number): number[] {
  requireCount('workers', workers, 1);
  requireCount('budget', budget, 0);
  if (budget < workers) {
    throw new BudgetError(
      `a budget of ${budget} connection(s) cannot give each of ${workers} workers one; ` +
        'lower WEB_CONCURRENCY or raise the budget',
    );
  }
  const base = Math.floor(budget / workers);
  const extra = budget % workers;
  return Array.from({ length: workers }, (_, i) => base + (i < extra ? 1 : 0));
}

/** One worker's share, for supervisors (pm2) that start workers without us. */
export function shareOf(budget: number, workers: number, index: number): number {
  requireCount('worker index', index, 0);
  if (index >= workers) {
    throw new BudgetError(`worker index ${index} is outside 0..${workers - 1}`);
  }
  return splitBudget(budget, workers)[index] as number;
}

/**
 * Pool of every pm2 instance. `pm2 reload` starts each replacement, with the same
 * NODE_APP_INSTANCE, before its predecessor stops, `reloadParallel` at a time, so up
 * to `instances + reloadParallel` processes hold pools at once. Invariant: every
 * instance takes the same pool, the smallest share of per host over that many, so
 * (instances + reloadParallel) × pool ≤ perHost. Refuses rather than round up to 1.
 */
export function pm2InstancePool(perHost: number, instances: number, reloadParallel: number): number {
  requireCount('budget', perHost, 0);
  requireCount('WEB_CONCURRENCY', instances, 1);
  requireCount('PM2_RELOAD_PARALLEL', reloadParallel, 1);
  const processes = instances + reloadParallel;
  if (perHost < processes) {
    throw new BudgetError(
      `a budget of ${perHost} connection(s) per host cannot give one each to WEB_CONCURRENCY=${instances} pm2 ` +
        `instances plus the PM2_RELOAD_PARALLEL=${reloadParallel} replacement(s) a reload runs beside them ` +
        `(${processes} processes); lower either or raise the budget`,
    );
  }
  return Math.floor(perHost / processes);
}

/** Resolves the host's budget and each worker's share, or throws BudgetError saying why not. */
export function planBudget(req: BudgetRequest): BudgetPlan {
  requireCount('replicas', req.replicas, 1);
  const usable = usableConnections(req.limits, req.headroom);
  const serverPerHost = Math.max(0, Math.floor(usable / req.replicas));
  if (req.requested === 'auto') {
    if (serverPerHost < req.workers) {
      throw new BudgetError(
        `the server allows ${usable} usable connection(s) (max_connections ${req.limits.maxConnections} − ` +
          `superuser_reserved ${req.limits.superuserReservedConnections} − reserved ${req.limits.reservedConnections} − ` +
          `headroom ${req.headroom}), ${serverPerHost} per host over ${req.replicas} replica(s): ` +
          `not enough for ${req.workers} workers`,
      );
    }
    return {
      source: 'auto',
      usable,
      perHost: serverPerHost,
      shares: splitBudget(serverPerHost, req.workers),
    };
  }
  requireCount('DB_CONNECTION_BUDGET', req.requested, 1);
  const perHost = Math.floor(req.requested / req.replicas);
  if (perHost > serverPerHost) {
    throw new BudgetError(
      `DB_CONNECTION_BUDGET=${req.requested} gives ${perHost} connection(s) per host, but the server can give ` +
        `only ${serverPerHost} per host (${usable} usable over ${req.replicas} replica(s)); lower the budget, ` +
        'DB_RESERVED_CONNECTIONS, or raise max_connections',
    );
  }
  return { source: 'explicit', usable, perHost, shares: splitBudget(perHost, req.workers) };
}

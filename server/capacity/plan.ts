/**
 * The capacity planner behind `npm run capacity`. Pure: no I/O, no clock, no
 * environment. Every budget figure comes from server/lib/budget.ts, called with
 * the inputs the server itself would use, so a plan and a running server cannot
 * disagree about the arithmetic.
 */
import { BudgetError, planBudget, usableConnections, type BudgetPlan, type BudgetRequest } from '../lib/budget';
import { planPm2Overlap, type OverlapPlan } from './overlap';

export type { OverlapPlan };

/** PostgreSQL does its best work with about 2 × cores (+ spindles) active connections (PostgreSQL wiki, HikariCP). */
export const ACTIVE_CONNECTIONS_PER_CORE = 2;
/** How far past that rule a deployment may go before the planner warns: idle pools are normal, 4× is not. */
export const CORES_RULE_MULTIPLE = 4;

export interface OtherApplication {
  /** `application_name` as pg_stat_activity shows it. */
  readonly name: string;
  readonly connections: number;
}

export interface CapacityInput {
  readonly maxConnections: number;
  readonly superuserReservedConnections: number;
  /** `reserved_connections`, PostgreSQL 16+; 0 on older servers. */
  readonly reservedConnections: number;
  /** DB_RESERVED_CONNECTIONS: kept free for admin tools, migrations and monitoring. */
  readonly headroom: number;
  /** APP_REPLICAS: hosts sharing the database. */
  readonly replicas: number;
  /** WEB_CONCURRENCY: workers on each host. */
  readonly workersPerHost: number;
  /** DB_CONNECTION_BUDGET: 'auto', or the connections for the whole deployment. */
  readonly budget: number | 'auto';
  /** Connections other applications hold on the same server; subtracted like headroom. */
  readonly otherApplications: readonly OtherApplication[];
  readonly databaseCores?: number;
  /** Mean time a request holds a connection, in milliseconds (from a load test). */
  readonly holdMs?: number;
  readonly targetRps?: number;
  /** PM2_RELOAD_PARALLEL: replacements `pm2 reload` runs beside the instances they replace. */
  readonly pm2ReloadParallel: number;
}

export type ReasonCode = 'server-too-small' | 'budget-above-server' | 'budget-below-workers' | 'target-rps-not-covered';
export type WarningCode = 'exceeds-max-connections' | 'overlap-pm2-refused' | 'pool-above-cores';

export interface Finding<C extends string> {
  /** Stable, for scripts; the message may be reworded. */
  readonly code: C;
  readonly message: string;
}

export interface CoresCheck {
  readonly databaseCores: number;
  /** 2 × cores: connections the database can keep busy at once. */
  readonly activeConnections: number;
  readonly totalConnections: number;
}

export interface Throughput {
  readonly holdMs: number;
  /** Little's law: connections ÷ hold time; the saturation rate, null when there is no budget. */
  readonly maxRps: number | null;
  readonly targetRps: number | null;
  /** ⌈targetRps × hold time⌉. */
  readonly neededConnections: number | null;
  readonly covered: boolean | null;
}

export interface CapacityPlan {
  readonly input: CapacityInput;
  readonly source: 'auto' | 'explicit';
  readonly otherConnections: number;
  /** What aquifer may use across all hosts: max_connections − reservations − headroom − other applications. */
  readonly usable: number;
  /** Each host's budget; null when the server cannot give a host even one connection. */
  readonly perHost: number | null;
  /** Pool size of each worker on every host (our primary, `npm start`); empty when refused. */
  readonly pools: readonly number[];
  /** Connections the whole deployment may hold: replicas × per-host budget; 0 when refused. */
  readonly totalConnections: number;
  /** Connections left free once every host holds its budget and the other applications theirs. */
  readonly headroomLeft: number | null;
  readonly overlap: OverlapPlan | null;
  readonly cores: CoresCheck | null;
  readonly throughput: Throughput | null;
  readonly feasible: boolean;
  readonly reasons: readonly Finding<ReasonCode>[];
  readonly warnings: readonly Finding<WarningCode>[];
}

export class CapacityInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CapacityInputError';
  }
}

const sum = (values: readonly number[]) => values.reduce((acc, v) => acc + v, 0);

type Attempt =
  | { readonly plan: BudgetPlan; readonly error?: undefined }
  | { readonly plan?: undefined; readonly error: BudgetError };

function attempt(req: BudgetRequest): Attempt {
  try {
    return { plan: planBudget(req) };
  } catch (err) {
    if (err instanceof BudgetError) return { error: err };
    throw err;
  }
}

function checkInput(input: CapacityInput): void {
  const counts: [string, number | undefined, number][] = [
    ['maxConnections', input.maxConnections, 1],
    ['superuserReservedConnections', input.superuserReservedConnections, 0],
    ['reservedConnections', input.reservedConnections, 0],
    ['headroom', input.headroom, 0],
    ['replicas', input.replicas, 1],
    ['workersPerHost', input.workersPerHost, 1],
    ['budget', input.budget === 'auto' ? undefined : input.budget, 1],
    ['databaseCores', input.databaseCores, 1],
    ['pm2ReloadParallel', input.pm2ReloadParallel, 1],
    ...input.otherApplications.map((app): [string, number, number] => [
      `connections of "${app.name}"`,
      app.connections,
      0,
    ]),
  ];
  for (const [name, value, min] of counts) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
      throw new CapacityInputError(`${name} must be an integer ≥ ${min}, got ${String(value)}`);
    }
  }
  for (const [name, value] of [['holdMs', input.holdMs] as const, ['targetRps', input.targetRps] as const]) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new CapacityInputError(`${name} must be a number > 0, got ${String(value)}`);
    }
  }
  if (input.targetRps !== undefined && input.holdMs === undefined) {
    throw new CapacityInputError("targetRps needs holdMs: Little's law needs the mean connection-hold time");
  }
}

/** The most each host may take beside the other applications, whatever budget was asked for. */
const roomPerHost = (req: BudgetRequest) => attempt({ ...req, requested: 'auto', workers: 1 }).plan?.perHost ?? 0;

/** Why the budget was refused, told apart by asking the same math smaller questions. */
function refusalCode(req: BudgetRequest): ReasonCode {
  if (attempt({ ...req, workers: 1 }).plan) return 'budget-below-workers';
  if (roomPerHost(req) === 0) return 'server-too-small';
  return req.requested !== 'auto' && req.requested < req.replicas ? 'budget-below-workers' : 'budget-above-server';
}

export function planCapacity(input: CapacityInput): CapacityPlan {
  checkInput(input);
  const otherConnections = sum(input.otherApplications.map((a) => a.connections));
  const limits = {
    maxConnections: input.maxConnections,
    superuserReservedConnections: input.superuserReservedConnections,
    reservedConnections: input.reservedConnections,
  };
  // Other applications' connections are gone for aquifer exactly as headroom is.
  const req: BudgetRequest = {
    requested: input.budget,
    limits,
    headroom: input.headroom + otherConnections,
    replicas: input.replicas,
    workers: input.workersPerHost,
  };
  const usable = usableConnections(limits, req.headroom);
  const reasons: Finding<ReasonCode>[] = [];
  const warnings: Finding<WarningCode>[] = [];
  const othersNote =
    otherConnections > 0 ? ` (the headroom here includes ${otherConnections} held by other applications)` : '';

  const main = attempt(req);
  const perHost = main.plan?.perHost ?? attempt({ ...req, workers: 1 }).plan?.perHost ?? null;
  if (main.error) reasons.push({ code: refusalCode(req), message: main.error.message + othersNote });
  const pools = main.plan?.shares ?? [];
  const totalConnections = main.plan ? main.plan.perHost * input.replicas : 0;
  const nonSuperuserSlots = input.maxConnections - input.superuserReservedConnections - input.reservedConnections;
  const headroomLeft = main.plan ? nonSuperuserSlots - otherConnections - totalConnections : null;

  const asConfigured = asConfiguredWarning(input, req, otherConnections, nonSuperuserSlots);
  if (asConfigured) warnings.push(asConfigured);

  const pm2 = main.plan ? planPm2Overlap(req, input.pm2ReloadParallel) : null;
  if (pm2?.refusal) warnings.push({ code: 'overlap-pm2-refused', message: pm2.refusal });

  const cores =
    input.databaseCores !== undefined && main.plan
      ? {
          databaseCores: input.databaseCores,
          activeConnections: ACTIVE_CONNECTIONS_PER_CORE * input.databaseCores,
          totalConnections,
        }
      : null;
  if (cores && totalConnections > CORES_RULE_MULTIPLE * cores.activeConnections) {
    warnings.push({
      code: 'pool-above-cores',
      message:
        `${totalConnections} connection(s) across all hosts is over ${CORES_RULE_MULTIPLE}× the ` +
        `${cores.activeConnections} (2 × ${cores.databaseCores} cores) the database can keep busy at once: past ` +
        'that, more connections only queue inside PostgreSQL, so a smaller DB_CONNECTION_BUDGET loses little',
    });
  }

  const throughput =
    input.holdMs === undefined
      ? null
      : planThroughput(input.holdMs, input.targetRps, main.plan ? totalConnections : null);
  if (throughput?.covered === false) {
    reasons.push({
      code: 'target-rps-not-covered',
      message:
        `${throughput.targetRps} requests/s holding a connection ${throughput.holdMs} ms each need ` +
        `${throughput.neededConnections} connection(s) (Little's law); the plan has ${totalConnections}`,
    });
  }

  return {
    input,
    source: input.budget === 'auto' ? 'auto' : 'explicit',
    otherConnections,
    usable,
    perHost,
    pools,
    totalConnections,
    headroomLeft,
    overlap: pm2?.overlap ?? null,
    cores,
    throughput,
    feasible: reasons.length === 0,
    reasons,
    warnings,
  };
}

/**
 * The server knows nothing of other applications: it plans from DB_RESERVED_CONNECTIONS alone. Warns
 * when what it would then hold, plus the other applications, is more than max_connections allows.
 */
function asConfiguredWarning(
  input: CapacityInput,
  req: BudgetRequest,
  otherConnections: number,
  nonSuperuserSlots: number,
): Finding<WarningCode> | null {
  const server = attempt({ ...req, headroom: input.headroom }).plan;
  if (!server || otherConnections === 0) return null;
  const serverTotal = server.perHost * input.replicas;
  if (serverTotal + otherConnections <= nonSuperuserSlots) return null;
  const fix =
    input.budget === 'auto'
      ? `set DB_RESERVED_CONNECTIONS=${req.headroom} (headroom ${input.headroom} + other applications ${otherConnections})`
      : `lower DB_CONNECTION_BUDGET to ${roomPerHost(req) * input.replicas} at most`;
  return {
    code: 'exceeds-max-connections',
    message:
      `as configured the server plans ${input.replicas} host(s) × ${input.workersPerHost} worker(s) with pools of ` +
      `${server.shares.join(', ')} (${server.perHost} per host): ${serverTotal} connection(s), not counting other ` +
      `applications; with their ` +
      `${otherConnections} that is ${serverTotal + otherConnections}, above the ${nonSuperuserSlots} that ` +
      `max_connections leaves to non-superusers, so new connections fail with "too many clients"; ${fix}`,
  };
}

function planThroughput(holdMs: number, targetRps: number | undefined, total: number | null): Throughput {
  // Little's law: connections in use = arrival rate × hold time.
  const maxRps = total === null ? null : (total * 1000) / holdMs;
  // The epsilon keeps an exact product such as 1000 rps × 12 ms at 12 through floating point, not 13.
  const needed = targetRps === undefined ? null : Math.ceil((targetRps * holdMs) / 1000 - 1e-9);
  return {
    holdMs,
    maxRps,
    targetRps: targetRps ?? null,
    neededConnections: needed,
    covered: needed === null ? null : total !== null && needed <= total,
  };
}

/**
 * `npm run capacity -- --workers N (--max-connections N | --database-url URL) […]`:
 * plans the connection budget of a deployment with the server's own budget
 * math, and says whether it holds. Exit 0 feasible, 1 not (the plan is printed
 * anyway, with the reasons), 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { loadConfig, readConfigOrExit } from '../config';
import { CapacityInputError, planCapacity, type CapacityInput, type OtherApplication } from '../server/capacity/plan';
import { findOtherApplications } from '../server/capacity/queries';
import { formatPlanTable, toPlanJson } from '../server/capacity/report';
import { withSingleConnection } from '../server/lib/db';
import { readServerFacts } from '../server/lib/server-facts';
import { runScript, UsageError } from './script-database';

/** The server's own defaults, from the one place they live (config/schema.ts), as if nothing were set. */
const { db: DEFAULTS, cluster: CLUSTER_DEFAULTS } = loadConfig({});
/** PostgreSQL's defaults, for planning without a live server. */
const PG_SUPERUSER_RESERVED = 3;
const PG_RESERVED = 0;
const MAX_COUNT = 1_000_000;

const USAGE = `usage: npm run capacity -- --workers N (--max-connections N | --database-url URL) [options]
  --workers N               workers per host (WEB_CONCURRENCY); required
  --max-connections N       the server's max_connections; required without --database-url
  --superuser-reserved N    superuser_reserved_connections (default ${PG_SUPERUSER_RESERVED}, PostgreSQL's)
  --reserved N              reserved_connections, PostgreSQL 16+ (default ${PG_RESERVED})
  --headroom N              DB_RESERVED_CONNECTIONS (default ${DEFAULTS.reservedConnections}, aquifer's)
  --replicas N              hosts sharing the database, APP_REPLICAS (default ${DEFAULTS.replicas})
  --budget N|auto           DB_CONNECTION_BUDGET for the whole deployment (default ${DEFAULTS.connectionBudget})
  --other APP=N             connections another application holds; repeatable (0 drops one the server reported)
  --overlap-workers N       PM2_RELOAD_PARALLEL: replacements a pm2 reload runs at once
                            (default ${CLUSTER_DEFAULTS.pm2ReloadParallel}, aquifer's; see README "pm2")
  --db-cores N              the database's CPU cores, for the 2 × cores rule
  --hold-ms X               mean connection-hold time per request, in ms (from a load test)
  --target-rps X            requests/s to plan for (needs --hold-ms)
  --database-url URL        read max_connections, the reserved settings and other applications' connections
                            from this server; flags override what it reports
  --json                    print the plan as JSON
`;

interface CapacityArgs {
  readonly flags: Partial<CapacityInput> & { readonly workersPerHost: number };
  readonly others: readonly OtherApplication[];
  readonly databaseUrl: string | undefined;
  readonly json: boolean;
}

function count(option: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (value >= min && value <= MAX_COUNT) return value;
  throw new UsageError(`--${option} must be a whole number from ${min} to ${MAX_COUNT}, got "${raw}"`);
}

function positive(option: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (value > 0 && Number.isFinite(value)) return value;
  throw new UsageError(`--${option} must be a number greater than 0, got "${raw}"`);
}

function otherApplication(raw: string): OtherApplication {
  const at = raw.lastIndexOf('=');
  const name = raw.slice(0, Math.max(at, 0)).trim();
  if (at < 1 || name === '') throw new UsageError(`--other takes APP=N, got "${raw}"`);
  return { name, connections: count('other', raw.slice(at + 1), 0) as number };
}

function parseCapacityArgs(args: string[]): CapacityArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'max-connections': { type: 'string' },
        'superuser-reserved': { type: 'string' },
        reserved: { type: 'string' },
        headroom: { type: 'string' },
        replicas: { type: 'string' },
        workers: { type: 'string' },
        budget: { type: 'string' },
        other: { type: 'string', multiple: true },
        'overlap-workers': { type: 'string' },
        'db-cores': { type: 'string' },
        'hold-ms': { type: 'string' },
        'target-rps': { type: 'string' },
        'database-url': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.workers === undefined) throw new UsageError('--workers is required');
  if (values['max-connections'] === undefined && values['database-url'] === undefined) {
    throw new UsageError('--max-connections or --database-url is required');
  }
  if (values['target-rps'] !== undefined && values['hold-ms'] === undefined) {
    throw new UsageError("--target-rps needs --hold-ms: Little's law needs the mean connection-hold time");
  }
  const budget = values.budget === 'auto' ? 'auto' : count('budget', values.budget, 1);
  return {
    flags: {
      maxConnections: count('max-connections', values['max-connections'], 1),
      superuserReservedConnections: count('superuser-reserved', values['superuser-reserved'], 0),
      reservedConnections: count('reserved', values.reserved, 0),
      headroom: count('headroom', values.headroom, 0),
      replicas: count('replicas', values.replicas, 1),
      workersPerHost: count('workers', values.workers, 1) as number,
      budget,
      pm2ReloadParallel: count('overlap-workers', values['overlap-workers'], 1),
      databaseCores: count('db-cores', values['db-cores'], 1),
      holdMs: positive('hold-ms', values['hold-ms']),
      targetRps: positive('target-rps', values['target-rps']),
    },
    others: (values.other ?? []).map(otherApplication),
    databaseUrl: values['database-url'],
    json: values.json === true,
  };
}

interface LiveFacts {
  readonly limits: Pick<CapacityInput, 'maxConnections' | 'superuserReservedConnections' | 'reservedConnections'>;
  readonly others: readonly OtherApplication[];
}

/** One short-lived connection, named like the other scripts' so it is not counted as another application. */
async function readLiveFacts(url: string): Promise<LiveFacts> {
  const config = readConfigOrExit();
  const connectTimeoutMs = Math.max(config.db.acquireTimeoutMs, config.db.startupWaitMs);
  return withSingleConnection(
    url,
    `${config.appName}:capacity`,
    connectTimeoutMs,
    async (db) => ({
      limits: (await readServerFacts(db)).limits,
      others: await findOtherApplications(db, config.appName),
    }),
    { queryTimeoutMs: config.db.statementTimeoutMs },
  );
}

/** Flags override the server: a flag's value wins, and an --other replaces the application of the same name. */
function mergeOthers(live: readonly OtherApplication[], flags: readonly OtherApplication[]): OtherApplication[] {
  const byName = new Map(live.map((a) => [a.name, a.connections]));
  for (const a of flags) byName.set(a.name, a.connections);
  return [...byName].map(([name, connections]) => ({ name, connections }));
}

async function main(): Promise<number> {
  const args = parseCapacityArgs(process.argv.slice(2));
  const f = args.flags;
  const live = args.databaseUrl === undefined ? null : await readLiveFacts(args.databaseUrl);
  const maxConnections = f.maxConnections ?? live?.limits.maxConnections;
  if (maxConnections === undefined) throw new UsageError('--max-connections or --database-url is required');
  const input: CapacityInput = {
    ...f,
    maxConnections,
    superuserReservedConnections:
      f.superuserReservedConnections ?? live?.limits.superuserReservedConnections ?? PG_SUPERUSER_RESERVED,
    reservedConnections: f.reservedConnections ?? live?.limits.reservedConnections ?? PG_RESERVED,
    headroom: f.headroom ?? DEFAULTS.reservedConnections,
    replicas: f.replicas ?? DEFAULTS.replicas,
    budget: f.budget ?? DEFAULTS.connectionBudget,
    pm2ReloadParallel: f.pm2ReloadParallel ?? CLUSTER_DEFAULTS.pm2ReloadParallel,
    otherApplications: mergeOthers(live?.others ?? [], args.others),
  };
  let plan;
  try {
    plan = planCapacity(input);
  } catch (err) {
    if (err instanceof CapacityInputError) throw new UsageError(err.message);
    throw err;
  }
  process.stdout.write(args.json ? `${JSON.stringify(toPlanJson(plan))}\n` : formatPlanTable(plan));
  return plan.feasible ? 0 : 1;
}

runScript(main, USAGE);

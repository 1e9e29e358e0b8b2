/**
 * How a capacity plan is shown: a plain-text table for people (no colours, so
 * it survives pipes and tickets) and a stable snake_case JSON shape for
 * machines. Pure, like the planner.
 */
import type { CapacityPlan, Finding } from './plan';

/** Bumped only when a field changes meaning or goes away; new fields may appear without it. */
export const PLAN_JSON_VERSION = 1;

/** Hosts listed one by one up to this many; beyond, one row stands for all (they are identical). */
const MAX_HOST_ROWS = 8;

const rate = (rps: number) => String(Math.floor(rps));

/** Aligns cells in columns two spaces apart; `right` marks the columns to right-align (numbers). */
function columns(rows: readonly (readonly string[])[], right: readonly number[] = []): string[] {
  const widths = rows.reduce<number[]>((acc, row) => row.map((cell, i) => Math.max(acc[i] ?? 0, cell.length)), []);
  return rows.map((row) =>
    row
      .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

const indent = (lines: readonly string[]) => lines.map((line) => `  ${line}`);

function serverSection(plan: CapacityPlan): string[] {
  const { input } = plan;
  const others = input.otherApplications.filter((a) => a.connections > 0);
  const othersNote =
    others.length > 0
      ? `subtracted like headroom: ${others.map((a) => `${a.name} ${a.connections}`).join(', ')}`
      : 'none counted';
  return [
    'Connections on the server',
    ...indent(
      columns(
        [
          ['max_connections', String(input.maxConnections), ''],
          ['− superuser_reserved_connections', String(input.superuserReservedConnections), ''],
          ['− reserved_connections', String(input.reservedConnections), ''],
          ['− headroom (DB_RESERVED_CONNECTIONS)', String(input.headroom), ''],
          ['− other applications', String(plan.otherConnections), othersNote],
          ['= usable by aquifer', String(plan.usable), 'across all hosts'],
        ],
        [1],
      ),
    ),
  ];
}

function hostSection(plan: CapacityPlan): string[] {
  const { input } = plan;
  const budget = plan.perHost === null ? '-' : String(plan.perHost);
  const pools = plan.pools.length > 0 ? plan.pools.join(' ') : 'refused';
  const names =
    input.replicas <= MAX_HOST_ROWS
      ? Array.from({ length: input.replicas }, (_, i) => `host ${i + 1}`)
      : [`hosts 1–${input.replicas} (each)`];
  const requested = input.budget === 'auto' ? 'auto (all the server can give)' : `${input.budget} for the deployment`;
  return [
    `Budget ${requested}, over ${input.replicas} host(s) × ${input.workersPerHost} worker(s)`,
    ...indent(
      columns(
        [
          ['host', 'budget', 'workers', 'pools'],
          ...names.map((name) => [name, budget, String(input.workersPerHost), pools]),
        ],
        [1, 2],
      ),
    ),
  ];
}

function workerSection(plan: CapacityPlan): string[] {
  if (plan.pools.length === 0) return ['Per worker: no pools, the budget is refused'];
  const pm2 = plan.overlap?.pm2Pools ?? null;
  const header = pm2 ? ['worker', 'pool', 'pool under pm2'] : ['worker', 'pool'];
  const rows = plan.pools.map((pool, i) => {
    const row = [`w${i}`, String(pool)];
    return pm2 ? [...row, String(pm2[i])] : row;
  });
  if (pm2) rows.push(['spare', '-', `${plan.overlap?.pm2Spare} (for the pm2 reload replacements)`]);
  return ['Per worker (the same on every host)', ...indent(columns([header, ...rows], [1]))];
}

function totalsSection(plan: CapacityPlan): string[] {
  const how = plan.pools.length > 0 ? `${plan.input.replicas} × ${plan.perHost}` : 'none: the budget is refused';
  const rows = [['aquifer, all hosts', String(plan.totalConnections), how]];
  if (plan.headroomLeft !== null) {
    rows.push(['headroom left', String(plan.headroomLeft), 'free when every pool and other application is full']);
  }
  return ['Totals', ...indent(columns(rows, [1]))];
}

function overlapSection(plan: CapacityPlan): string[] {
  const overlap = plan.overlap;
  if (overlap === null) return [];
  const { workersPerHost } = plan.input;
  const pool = overlap.pm2Pools?.[0];
  const pm2 =
    pool === undefined
      ? 'refused: the budget cannot give each instance and each replacement one connection (see warnings)'
      : `every instance ${pool} (per host ÷ (${workersPerHost} + ${overlap.extraWorkers})), ` +
        `${overlap.pm2Spare} spare; reload peak ${overlap.pm2PeakPerHost} of ${plan.perHost} per host`;
  const rows = [
    ['npm start', 'none: the primary replaces a worker only after the old one exits'],
    ['pm2', pm2],
    // pm2 7 reloads `--parallel` or PM2_CONCURRENT_ACTIONS (default 2) instances at once; nothing tells the server.
    ['', 'PM2_RELOAD_PARALLEL must be at least what pm2 reloads at once: `pm2 reload <name> --parallel N`,'],
    ['', 'else PM2_CONCURRENT_ACTIONS (default 2) in the environment of the pm2 command'],
    ['new hosts', 'a rolling deploy that starts hosts before stopping old ones: count them in APP_REPLICAS'],
  ];
  return [
    `Overlap (PM2_RELOAD_PARALLEL=${overlap.extraWorkers}: replacements a pm2 reload runs beside the instances)`,
    ...indent(columns(rows)),
  ];
}

function coresSection(plan: CapacityPlan): string[] {
  const cores = plan.cores;
  if (cores === null) return [];
  return [
    'Database cores',
    `  ${cores.databaseCores} cores keep about ${cores.activeConnections} connections busy (2 × cores); ` +
      `the deployment holds ${cores.totalConnections}`,
  ];
}

function throughputSection(plan: CapacityPlan): string[] {
  const t = plan.throughput;
  if (t === null) return [];
  const rows = [['saturation', t.maxRps === null ? '-' : `${rate(t.maxRps)} requests/s`, 'all hosts, pools full']];
  if (t.targetRps !== null) {
    const verdict = t.covered ? 'covered' : 'NOT covered';
    rows.push([`target ${t.targetRps} requests/s`, `${t.neededConnections} connections`, verdict]);
  }
  return [`Throughput (Little's law, ${t.holdMs} ms mean connection hold)`, ...indent(columns(rows, [1]))];
}

const findings = (title: string, list: readonly Finding<string>[]) =>
  list.length === 0 ? [] : [title, ...list.map((f) => `  - [${f.code}] ${f.message}`)];

/** The readable report: sections separated by blank lines, warnings and reasons last. */
export function formatPlanTable(plan: CapacityPlan): string {
  const sections = [
    [`Capacity plan: ${plan.feasible ? 'feasible' : 'NOT FEASIBLE'}`],
    serverSection(plan),
    hostSection(plan),
    workerSection(plan),
    totalsSection(plan),
    overlapSection(plan),
    coresSection(plan),
    throughputSection(plan),
    findings('Warnings', plan.warnings),
    findings('Not feasible because', plan.reasons),
  ].filter((lines) => lines.length > 0);
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

/** The `--json` shape: snake_case, every key always present (null when not computed). */
export function toPlanJson(plan: CapacityPlan) {
  const { input, overlap, cores, throughput } = plan;
  return {
    version: PLAN_JSON_VERSION,
    feasible: plan.feasible,
    reasons: plan.reasons,
    warnings: plan.warnings,
    server: {
      max_connections: input.maxConnections,
      superuser_reserved_connections: input.superuserReservedConnections,
      reserved_connections: input.reservedConnections,
    },
    headroom: input.headroom,
    other_applications: input.otherApplications.map((a) => ({ name: a.name, connections: a.connections })),
    other_connections: plan.otherConnections,
    usable: plan.usable,
    budget: { requested: input.budget, source: plan.source },
    replicas: input.replicas,
    workers_per_host: input.workersPerHost,
    per_host: plan.perHost,
    pools: plan.pools,
    total_connections: plan.totalConnections,
    headroom_left: plan.headroomLeft,
    overlap: overlap && {
      extra_workers: overlap.extraWorkers,
      pm2_pools: overlap.pm2Pools,
      pm2_spare: overlap.pm2Spare,
      pm2_peak_per_host: overlap.pm2PeakPerHost,
    },
    cores: cores && {
      database_cores: cores.databaseCores,
      active_connections: cores.activeConnections,
      total_connections: cores.totalConnections,
    },
    throughput: throughput && {
      hold_ms: throughput.holdMs,
      max_rps: throughput.maxRps,
      target_rps: throughput.targetRps,
      needed_connections: throughput.neededConnections,
      covered: throughput.covered,
    },
  };
}

export type PlanJson = ReturnType<typeof toPlanJson>;

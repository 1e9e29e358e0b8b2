/**
 * The bench's command line, parsed into settings (pure: no I/O, so the flags,
 * their defaults and `--quick` are unit-tested). Bad arguments throw
 * UsageError, which the CLI turns into exit 2 with the usage.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../scripts/script-database';
import type { BenchJson } from './result';

/** The steps `--only` and `--skip` name, in the order the bench runs them. */
export const STEP_NAMES = ['point', 'scaling', 'list', 'overload', 'event-loop', 'bulk'] as const;
export type StepName = (typeof STEP_NAMES)[number];

export interface BenchSettings {
  readonly rounds: number;
  readonly roundSeconds: number;
  readonly connections: number;
  /** The app's DB_CONNECTION_BUDGET; each baseline worker gets budget ÷ workers. */
  readonly budget: number;
  readonly workers: number;
  readonly wells: number;
  readonly observationsPerWell: number;
  readonly bulkRows: number;
  readonly bulkRounds: number;
  readonly overloadSeconds: number;
  readonly steps: ReadonlySet<StepName>;
  readonly out: string;
  /** null: the default folder (.data/bench-pg in the checkout). */
  readonly dataDir: string | null;
  readonly quick: boolean;
}

export const USAGE = `usage: npm run bench -- [options]
  --rounds N                 alternating rounds per contender (default 5)
  --round-seconds S          seconds of load per round (default 10)
  --connections N            autocannon connections for steps 1, 2 and 6 (default 64)
  --budget N                 the app's DB_CONNECTION_BUDGET; baselines get budget ÷ workers per worker (default 16)
  --workers N                worker processes of the app and of each baseline (default 2)
  --wells N                  seeded wells (default 10000)
  --observations-per-well N  seeded observations per well (default 100)
  --bulk-rows N              rows of the bulk-ingest CSV (default 1000000)
  --bulk-rounds N            alternating rounds of upload vs raw COPY (default 2)
  --overload-seconds S       length of the overload step, at 20 × budget connections (default 30)
  --only STEP,…              run only these steps: ${STEP_NAMES.join(', ')}
  --skip STEP,…              run every step but these
  --out DIR                  where the JSON, markdown and SVG go (default bench-results)
  --data-dir DIR             the bench's embedded PostgreSQL data (default .data/bench-pg)
  --quick                    a smoke run: 300 wells × 10 observations, 2 rounds of 2 s, 20000 bulk rows,
                             1 bulk round, 4 s overload (flags given explicitly still win)
  --help                     this text
Exit codes: 0 the run completed (whatever the verdicts), 1 it could not run, 2 bad arguments.
`;

type Numeric = Exclude<keyof BenchSettings, 'steps' | 'out' | 'dataDir' | 'quick'>;

/** Each numeric flag: its settings key, default, `--quick` value and allowed range. */
const NUMERIC: Readonly<Record<string, { key: Numeric; full: number; quick?: number; min: number; max: number }>> = {
  rounds: { key: 'rounds', full: 5, quick: 2, min: 1, max: 100 },
  'round-seconds': { key: 'roundSeconds', full: 10, quick: 2, min: 1, max: 3_600 },
  connections: { key: 'connections', full: 64, min: 1, max: 10_000 },
  budget: { key: 'budget', full: 16, min: 1, max: 500 },
  workers: { key: 'workers', full: 2, min: 1, max: 64 },
  wells: { key: 'wells', full: 10_000, quick: 300, min: 1, max: 9_999_999 },
  'observations-per-well': { key: 'observationsPerWell', full: 100, quick: 10, min: 0, max: 100_000 },
  'bulk-rows': { key: 'bulkRows', full: 1_000_000, quick: 20_000, min: 1, max: 100_000_000 },
  'bulk-rounds': { key: 'bulkRounds', full: 2, quick: 1, min: 1, max: 100 },
  'overload-seconds': { key: 'overloadSeconds', full: 30, quick: 4, min: 1, max: 3_600 },
};

const OPTIONS = {
  ...Object.fromEntries(Object.keys(NUMERIC).map((name) => [name, { type: 'string' as const }])),
  only: { type: 'string' },
  skip: { type: 'string' },
  out: { type: 'string' },
  'data-dir': { type: 'string' },
  quick: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function wholeNumber(option: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (value >= min && value <= max) return value;
  throw new UsageError(`--${option} takes whole numbers from ${min} to ${max}, got "${raw}"`);
}

function stepList(option: string, raw: string): StepName[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const name of names) {
    if (!(STEP_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`--${option}: unknown step "${name}"; steps are ${STEP_NAMES.join(', ')}`);
    }
  }
  if (names.length === 0) throw new UsageError(`--${option} needs at least one step`);
  return names as StepName[];
}

/** The selected steps; event-loop is read around point/scaling and overload, so it needs one of them. */
function selectSteps(only: string | undefined, skip: string | undefined): Set<StepName> {
  if (only !== undefined && skip !== undefined) throw new UsageError('--only and --skip cannot be combined');
  const selected = new Set<StepName>(only !== undefined ? stepList('only', only) : STEP_NAMES);
  if (skip !== undefined) for (const name of stepList('skip', skip)) selected.delete(name);
  if (selected.size === 0) throw new UsageError('no step left to run');
  const hosts: StepName[] = ['point', 'scaling', 'overload'];
  if (selected.has('event-loop') && !hosts.some((s) => selected.has(s))) {
    if (only !== undefined) throw new UsageError('event-loop is read during point, scaling or overload: select one');
    selected.delete('event-loop');
  }
  return selected;
}

/** Parses argv (without node and the script); `null` means --help was asked for. */
export function parseBenchArgs(args: readonly string[], cwd: string, defaultOut: string): BenchSettings | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) return null;
  const quick = values.quick === true;
  const numbers = {} as Record<Numeric, number>;
  for (const [name, spec] of Object.entries(NUMERIC)) {
    const raw = values[name];
    numbers[spec.key] =
      typeof raw === 'string'
        ? wholeNumber(name, raw, spec.min, spec.max)
        : quick
          ? (spec.quick ?? spec.full)
          : spec.full;
  }
  // Refused rather than rounded up: the same rule the app applies to its own budget.
  if (numbers.budget < numbers.workers) {
    throw new UsageError(
      `--budget ${numbers.budget} is smaller than --workers ${numbers.workers}: every worker needs a connection`,
    );
  }
  const dir = (raw: unknown) => (typeof raw === 'string' && raw !== '' ? path.resolve(cwd, raw) : null);
  return {
    ...numbers,
    steps: selectSteps(values.only as string | undefined, values.skip as string | undefined),
    out: dir(values.out) ?? defaultOut,
    dataDir: dir(values['data-dir']),
    quick,
  };
}

/** Each baseline worker's pool (and the one-worker app's budget): the app's per-worker share, rounded down. */
export const perWorkerPool = (s: Pick<BenchSettings, 'budget' | 'workers'>): number => Math.floor(s.budget / s.workers);

/** The overload step's concurrency: 20 × the connection budget. */
export const overloadConnections = (s: Pick<BenchSettings, 'budget'>): number => 20 * s.budget;

/** The settings as the JSON records them; `steps` are the ones that actually ran. */
export function settingsJson(
  s: BenchSettings,
  steps: ReadonlySet<StepName>,
  acquireTimeoutMs: number,
): BenchJson['settings'] {
  return {
    rounds: s.rounds,
    round_seconds: s.roundSeconds,
    connections: s.connections,
    budget: s.budget,
    workers: s.workers,
    pool_per_worker: perWorkerPool(s),
    wells: s.wells,
    observations_per_well: s.observationsPerWell,
    bulk_rows: s.bulkRows,
    bulk_rounds: s.bulkRounds,
    overload_seconds: s.overloadSeconds,
    overload_connections: overloadConnections(s),
    acquire_timeout_ms: acquireTimeoutMs,
    steps: STEP_NAMES.filter((name) => steps.has(name)),
    quick: s.quick,
  };
}

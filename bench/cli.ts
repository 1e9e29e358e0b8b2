/**
 * `npm run bench`: starts the bench's own embedded PostgreSQL, seeds it, and
 * measures the app against baselines step by step (see the README's
 * Benchmarks section). Progress goes to stderr, the summary to stdout, the
 * JSON, markdown and SVG files to --out. Exit 0 when the run completed,
 * whatever the verdicts; 1 when it could not run; 2 for bad arguments;
 * 128 + the signal's number when interrupted (after stopping everything).
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { createLogger, type Logger } from '../server/lib/logger';
import { projectRoot } from '../server/lib/project-root';
import { runScript } from '../scripts/script-database';
import { parseBenchArgs, settingsJson, USAGE, type BenchSettings, type StepName } from './args';
import { BENCH_DATA_DIR, prepareBenchData, startBenchDatabase, type BenchDatabase } from './database';
import {
  ACQUIRE_TIMEOUT_MS,
  APP_NAME,
  CONTENDER_NAMES,
  benchMaxConnections,
  startBaselineContender,
  startMainApp,
  startOneWorkerApp,
} from './lineup';
import { describeMachine } from './machine';
import { stopAllContenders, type RunningApp } from './processes';
import { summaryTable } from './report/summary-table';
import { writeResult } from './report/write';
import { BENCH_JSON_VERSION, type BenchJson } from './result';
import { Shutdown, undoOnSignals } from './shutdown';
import { runBulk } from './steps/bulk';
import { runListSummary } from './steps/list-summary';
import { runOverload } from './steps/overload';
import { runPointLookup, type LineupEntry, type PointLookupOutcome } from './steps/point-lookup';
import { judge } from './verdicts';

type Measured = Pick<BenchJson, 'point_lookup' | 'scaling' | 'list_summary' | 'overload' | 'event_loop' | 'bulk'>;

interface Context {
  readonly settings: BenchSettings;
  readonly steps: ReadonlySet<StepName>;
  readonly database: BenchDatabase;
  readonly shutdown: Shutdown;
  readonly app: RunningApp;
  readonly logDir: string;
  readonly pickId: () => string;
  readonly progress: (line: string) => void;
}

/** Step 1 (with 6): starts the extra contenders, alternates them with the app, and stops them again. */
async function pointLookupStep(ctx: Context, mainEntry: LineupEntry): Promise<PointLookupOutcome> {
  const { settings, steps, shutdown, database, logDir } = ctx;
  const extras = [];
  if (steps.has('point')) {
    ctx.progress('starting the baselines');
    extras.push(await startBaselineContender(shutdown, settings, database, logDir, 'raw'));
    extras.push(await startBaselineContender(shutdown, settings, database, logDir, 'fastify'));
    extras.push(await startBaselineContender(shutdown, settings, database, logDir, 'express'));
  }
  if (steps.has('scaling')) {
    ctx.progress('starting the one-worker app');
    extras.push(await startOneWorkerApp(shutdown, settings, database, logDir));
  }
  try {
    return await runPointLookup({
      settings,
      lineup: [mainEntry, ...extras.map((e) => e.entry)],
      names: {
        app: CONTENDER_NAMES.app,
        ...(steps.has('point') && {
          raw: CONTENDER_NAMES.raw,
          fastify: CONTENDER_NAMES.fastify,
          express: CONTENDER_NAMES.express,
        }),
        ...(steps.has('scaling') && { oneWorker: CONTENDER_NAMES.oneWorker }),
      },
      pickId: ctx.pickId,
      readEventLoop: steps.has('event-loop'),
      progress: ctx.progress,
    });
  } finally {
    // The overload counts the app's connections alone, and the others would only take CPU.
    for (const e of extras.reverse()) await e.stop();
  }
}

async function measure(ctx: Context, mainEntry: LineupEntry): Promise<Measured> {
  const { settings, steps } = ctx;
  let point: PointLookupOutcome | null = null;
  if (steps.has('point') || steps.has('scaling')) point = await pointLookupStep(ctx, mainEntry);
  const listSummary = steps.has('list') ? await runListSummary(ctx) : null;
  const appMedian = point?.point.contenders.find((c) => c.name === CONTENDER_NAMES.app)?.median.requests_per_s ?? null;
  const overload = steps.has('overload')
    ? await runOverload({
        ...ctx,
        appName: APP_NAME,
        acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
        peakRequestsPerS: appMedian,
        readEventLoop: steps.has('event-loop'),
      })
    : null;
  let bulk = null;
  if (steps.has('bulk')) {
    const tmpDir = path.join(settings.out, 'tmp');
    const removeFiles = ctx.shutdown.add('bulk files', async () => fs.rmSync(tmpDir, { recursive: true, force: true }));
    try {
      bulk = await runBulk({ ...ctx, tmpDir });
    } finally {
      await removeFiles();
    }
  }
  return {
    point_lookup: point?.point ?? null,
    scaling: point?.scaling ?? null,
    list_summary: listSummary,
    overload: overload?.overload ?? null,
    event_loop: steps.has('event-loop')
      ? { point_lookup: point?.eventLoop ?? null, overload: overload?.eventLoop ?? null }
      : null,
    bulk,
  };
}

/** Migrates and seeds (idempotent), then reads what the data set holds and the ids lookups draw from. */
async function prepareData(
  database: BenchDatabase,
  settings: BenchSettings,
  logger: Logger,
  progress: (line: string) => void,
  notes: string[],
) {
  progress(`seeding up to ${settings.wells} wells × ${settings.observationsPerWell} observations`);
  const size = { wells: settings.wells, observationsPerWell: settings.observationsPerWell };
  const seeded = await prepareBenchData(database, size, logger);
  const data = await database.connect('facts', (db) =>
    db.one<{ wells: number; observations: number }>({
      text: 'SELECT (SELECT count(*) FROM wells)::int AS wells, (SELECT count(*) FROM observations)::int AS observations',
    }),
  );
  if (data.wells > settings.wells) {
    notes.push(`The data folder held ${data.wells} wells, more than the ${settings.wells} asked for; all were used.`);
  }
  const rows = await database.connect('facts', (db) => db.many<{ id: string }>({ text: 'SELECT id FROM wells' }));
  const ids = rows.map((r) => r.id);
  progress(`data ready: ${data.wells} wells, ${data.observations} observations (${seeded.seconds.toFixed(1)} s)`);
  return { data, seeded, pickId: () => ids[Math.floor(Math.random() * ids.length)] as string };
}

async function main(): Promise<number> {
  const settings = parseBenchArgs(process.argv.slice(2), process.cwd(), path.join(projectRoot(), 'bench-results'));
  if (settings === null) {
    process.stdout.write(USAGE);
    return 0;
  }
  const startedAt = new Date();
  const progress = (line: string) =>
    process.stderr.write(`[bench +${Math.round((Date.now() - startedAt.getTime()) / 1000)}s] ${line}\n`);
  // The libraries' own logs (embedded PostgreSQL, migrations): warnings and errors only, on stderr.
  const logger = createLogger('warn', 'bench', pino.destination({ fd: 2, sync: true }));
  const notes: string[] = [];
  const steps = new Set(settings.steps);
  if (steps.has('scaling') && settings.workers === 1) {
    steps.delete('scaling');
    notes.push('Scaling was skipped: with --workers 1 there is no second worker count to compare.');
  }
  const shutdown = new Shutdown();
  const signals = undoOnSignals(shutdown, progress);
  const logDir = path.join(settings.out, 'logs');
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  try {
    const dataDir = settings.dataDir ?? BENCH_DATA_DIR;
    progress(`starting the bench's PostgreSQL in ${dataDir}`);
    const database = await startBenchDatabase({ dataDir, logger, maxConnections: benchMaxConnections(settings) });
    shutdown.add('database', () => database.stop());
    // Anything started and not yet stopped (e.g. interrupted while it was starting).
    shutdown.add('contenders', stopAllContenders);
    if (database.embedded.adopted) {
      notes.push(`The bench's PostgreSQL in ${dataDir} was already running; it was used and left running.`);
    }
    const { data, seeded, pickId } = await prepareData(database, settings, logger, progress, notes);
    const machine = await describeMachine(database);
    progress('starting the app');
    const main = await startMainApp(shutdown, settings, database, logDir);
    const ctx: Context = { settings, steps, database, shutdown, app: main.app, logDir, pickId, progress };
    const measured = await measure(ctx, main.entry);
    const result: BenchJson = {
      version: BENCH_JSON_VERSION,
      started_at: startedAt.toISOString(),
      finished_at: new Date().toISOString(),
      settings: settingsJson(settings, steps, ACQUIRE_TIMEOUT_MS),
      machine,
      data: { ...data, seed_seconds: Math.round(seeded.seconds * 10) / 10 },
      ...measured,
      verdicts: judge(measured),
      notes: [...notes, `Process logs of this run: ${logDir}`],
    };
    const files = writeResult(settings.out, result);
    process.stdout.write(summaryTable(result, files));
    return 0;
  } finally {
    await shutdown.runAll(progress);
    // Interrupted: the signal handler exits with its own code once the same clean-up is done.
    if (signals.interrupted()) await new Promise<never>(() => undefined);
  }
}

runScript(main, USAGE);

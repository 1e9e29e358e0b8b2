/**
 * Which processes a run starts: the app at --workers (used by every step),
 * and for the point lookup the three baselines and the one-worker app. Each is
 * registered with the shutdown once it runs, so a failure or a signal later
 * on stops it.
 */
import { perWorkerPool, type BenchSettings } from './args';
import type { BenchDatabase } from './database';
import { freePort, freePorts } from './ports';
import { startApp, startBaseline, type BaselineScript, type RunningApp } from './processes';
import type { Shutdown } from './shutdown';
import type { LineupEntry } from './steps/point-lookup';

/** APP_NAME of the app under test: its pools show up as `aquifer:w0`, … in pg_stat_activity. */
export const APP_NAME = 'aquifer';
/** The one-worker app's prefix, so its connections are never counted as the app's. */
const ONE_WORKER_APP_NAME = 'aquifer-1w';
/** DB_ACQUIRE_TIMEOUT_MS given to the apps: the app's default, set explicitly for the overload verdict. */
export const ACQUIRE_TIMEOUT_MS = 3_000;

export const CONTENDER_NAMES = {
  app: 'aquifer',
  oneWorker: 'aquifer-1w',
  raw: 'raw',
  fastify: 'fastify',
  express: 'express',
} as const;

export type BaselineName = 'raw' | 'fastify' | 'express';

/** Each baseline's script in bench/contenders and its label in the tables. */
const BASELINES: Readonly<Record<BaselineName, { readonly script: BaselineScript; readonly label: string }>> = {
  raw: { script: 'raw-http', label: 'node:http + pg' },
  fastify: { script: 'fastify-server', label: 'Fastify + pg' },
  express: { script: 'express-bare', label: 'bare Express + pg' },
};

interface Started {
  readonly entry: LineupEntry;
  /** Stops it now (and unregisters it from the shutdown). */
  readonly stop: () => Promise<void>;
}

async function app(
  shutdown: Shutdown,
  database: BenchDatabase,
  logDir: string,
  name: string,
  appName: string,
  workers: number,
  budget: number,
): Promise<Started & { readonly app: RunningApp }> {
  // A start interrupted half-way is stopped by the shutdown's stopAllContenders; a failed one stops itself.
  // Distinct: the app refuses METRICS_PORT equal to PORT.
  const [port, metricsPort] = (await freePorts(2)) as [number, number];
  const started = await startApp({
    name,
    appName,
    port,
    metricsPort,
    workers,
    budget,
    acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
    databaseUrl: database.url,
    logDir,
  });
  const stop = shutdown.add(name, () => started.stop());
  const label = `aquifer, ${workers} worker${workers === 1 ? '' : 's'}`;
  return {
    app: started,
    stop,
    entry: { contender: started, app: started, label, workers, poolPerWorker: Math.floor(budget / workers) },
  };
}

export function startMainApp(shutdown: Shutdown, settings: BenchSettings, database: BenchDatabase, logDir: string) {
  return app(shutdown, database, logDir, CONTENDER_NAMES.app, APP_NAME, settings.workers, settings.budget);
}

/** The one-worker app: budget ÷ workers, so its one pool is the same as each of the main app's. */
export function startOneWorkerApp(
  shutdown: Shutdown,
  settings: BenchSettings,
  database: BenchDatabase,
  logDir: string,
) {
  const name = CONTENDER_NAMES.oneWorker;
  return app(shutdown, database, logDir, name, ONE_WORKER_APP_NAME, 1, perWorkerPool(settings));
}

export async function startBaselineContender(
  shutdown: Shutdown,
  settings: BenchSettings,
  database: BenchDatabase,
  logDir: string,
  which: BaselineName,
): Promise<Started> {
  const poolSize = perWorkerPool(settings);
  const { script, label } = BASELINES[which];
  const started = await startBaseline(CONTENDER_NAMES[which], script, {
    port: await freePort(),
    workers: settings.workers,
    poolSize,
    databaseUrl: database.url,
    preparedStatements: true,
    logDir,
  });
  const stop = shutdown.add(started.name, () => started.stop());
  return { stop, entry: { contender: started, label, workers: settings.workers, poolPerWorker: poolSize } };
}

/**
 * max_connections for the bench's PostgreSQL: every contender's pools at once (the app, the
 * one-worker app, three baselines), the bench's own few connections, and the reservations the app
 * subtracts before it accepts its budget (3 superuser + 5 DB_RESERVED_CONNECTIONS), with room to spare.
 */
export function benchMaxConnections(settings: BenchSettings): number {
  const baselines = Object.keys(BASELINES).length;
  const pools = settings.budget + perWorkerPool(settings) * (1 + baselines * settings.workers);
  return Math.max(200, pools + 40);
}

/**
 * Entry point of `npm start`: the primary. It resolves the connection budget,
 * prepares the database, forks one worker per share and supervises them. It
 * never serves HTTP itself.
 */
import cluster from 'node:cluster';
import path from 'node:path';
import {
  deadWorkerGraceMs,
  poolResizeTimeoutMs,
  readConfigOrExit,
  workerEnv,
  workerStopTimeoutMs,
  type Config,
} from '../config';
import { rollingRestart } from './cluster/rolling-restart';
import { Supervisor } from './cluster/supervisor';
import { addWorker, removeWorker } from './cluster/worker-count';
import { budgetFields, startupSummary } from './cluster/startup-summary';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './lib/embedded-postgres';
import { createLogger, type Logger } from './lib/logger';
import { prepareDatabase, type PreparedDatabase } from './lib/prepare-database';
import { createHostMetrics, serveMetrics } from './metrics/host-metrics';

async function runPrimary(config: Config, logger: Logger): Promise<void> {
  let embedded: EmbeddedPostgres | null = null;
  let supervisor: Supervisor | null = null;
  let signals = 0;
  let starting = true;

  const finish = async (code: number) => {
    if (supervisor) {
      const { killed } = await supervisor.stop();
      if (killed > 0) logger.warn({ killed }, 'workers killed after the stop timeout');
    }
    // The database goes last, after every worker has closed its pool.
    if (embedded) await embedded.stop('fast').catch((err: unknown) => logger.error({ err }, 'embedded stop failed'));
    logger.info({ code }, 'primary exiting');
    process.exit(code);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: forcing exit');
      supervisor?.killAll();
      process.exit(1);
    }
    if (starting) {
      // Stopping now would strand a half-started embedded PostgreSQL; stop once start-up settles.
      logger.info({ signal }, 'shutting down once start-up finishes');
      return;
    }
    logger.info({ signal }, 'shutting down');
    void finish(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  // Registered now: by default these signals would end the process.
  let restarting = false;
  const onRestartSignal = (signal: NodeJS.Signals) => {
    const current = supervisor;
    if (!current || signals > 0) {
      logger.warn({ signal }, 'rolling restart ignored: not running yet, or stopping');
      return;
    }
    if (restarting) {
      logger.warn({ signal }, 'rolling restart already under way');
      return;
    }
    restarting = true;
    logger.info({ signal }, 'rolling restart');
    const options = { readyTimeoutMs: config.db.startupWaitMs + 10_000, logger };
    current
      .serialize(() => rollingRestart(current, options))
      .catch((err: unknown) =>
        logger.error({ err }, `rolling restart failed: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => {
        restarting = false;
      });
  };
  process.on('SIGUSR2', onRestartSignal);
  process.on('SIGHUP', onRestartSignal);
  const onCountSignal = (signal: NodeJS.Signals) => {
    const current = supervisor;
    if (!current || signals > 0) return;
    const change = signal === 'SIGTTIN' ? addWorker : removeWorker;
    current
      .serialize(() => change(current, logger))
      .catch((err: unknown) =>
        logger.error({ err, signal }, `worker count unchanged: ${err instanceof Error ? err.message : String(err)}`),
      );
  };
  process.on('SIGTTIN', onCountSignal);
  process.on('SIGTTOU', onCountSignal);

  let url: string;
  let prepared: PreparedDatabase;
  try {
    if (config.db.url === null) {
      embedded = await startEmbeddedPostgres({
        dataDir: config.embedded.dataDir,
        port: config.embedded.port,
        logger,
      });
    }
    url = config.db.url ?? (embedded as EmbeddedPostgres).url;
    prepared = await prepareDatabase(url, `${config.appName}:primary`, config, logger);
  } catch (err) {
    starting = false;
    logger.fatal({ err }, `start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    await finish(1);
    return;
  }
  starting = false;
  if (signals > 0) {
    await finish(0);
    return;
  }

  cluster.setupPrimary({ exec: path.join(__dirname, 'worker.js') });
  const hostMetrics = createHostMetrics(logger);
  if (config.metrics.port !== null) {
    try {
      await serveMetrics(config.metrics.host, config.metrics.port, hostMetrics.scrape, logger);
      logger.info({ host: config.metrics.host, port: config.metrics.port }, 'metrics listening');
    } catch (err) {
      logger.fatal({ err }, `cannot listen for metrics on ${config.metrics.host}:${config.metrics.port}`);
      await finish(1);
      return;
    }
  }
  supervisor = new Supervisor({
    shares: prepared.plan.shares,
    perHost: prepared.plan.perHost,
    resizeTimeoutMs: poolResizeTimeoutMs(config).primary,
    deadWorkerGraceMs: deadWorkerGraceMs(config),
    envFor: (index, poolSize) => workerEnv(index, poolSize, url),
    crashPolicy: {
      maxCrashes: config.cluster.maxCrashes,
      windowMs: config.cluster.crashWindowMs,
      backoffBaseMs: config.cluster.backoffBaseMs,
      backoffMaxMs: config.cluster.backoffMaxMs,
    },
    stopTimeoutMs: workerStopTimeoutMs(config),
    logger,
    onAllReady: () =>
      logger.info(
        {
          postgres: prepared.facts.version,
          embedded: embedded !== null,
          budget: budgetFields(prepared.plan),
          limits: prepared.facts.limits,
          workers: prepared.plan.shares.length,
          migrationsApplied: prepared.migrationsApplied,
          sampleData: prepared.sampleData,
        },
        startupSummary(config, prepared, embedded !== null),
      ),
    onWorkerMessage: (worker, msg) => hostMetrics.handleWorkerMessage(worker, msg),
    // A loaded process that takes a dead worker's place in a fraction of a boot.
    ...(config.cluster.spare && { spareExec: path.join(__dirname, 'cluster', 'spare-worker.js') }),
    onGiveUp: () => {
      if (signals === 0) {
        signals++;
        void finish(1);
      }
    },
  });
  supervisor.start();
}

function main(): void {
  const config = readConfigOrExit();
  const logger = createLogger(config.logLevel, 'primary');
  runPrimary(config, logger).catch((err: unknown) => {
    logger.fatal({ err }, `start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

main();

/**
 * Entry point of a worker: one HTTP server over one pg pool whose size is this
 * worker's share of the budget. Forked by our primary (which passes index and
 * share), or started by pm2 in cluster mode (index from NODE_APP_INSTANCE; the
 * share is computed here from the same budget math).
 */
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { appSettings, poolResizeTimeoutMs, poolSettings, readConfigOrExitOnceReported, type Config } from '../config';
import { buildApp } from './app';
import { countBackends } from './cluster/dead-backends';
import {
  BACKENDS_COUNTED_MESSAGE,
  COUNT_BACKENDS_MESSAGE,
  isMessage,
  isResizeRequest,
  READY_MESSAGE,
  RESIZED_MESSAGE,
  SHUTDOWN_MESSAGE,
  type BackendsCounted,
  type CountBackendsRequest,
} from './cluster/messages';
import { answerPrimaryScrapesOnce } from './cluster/primary-scrapes';
import { BudgetError, pm2InstancePool } from './lib/budget';
import { createDatabase, type Database } from './lib/db';
import { monitorEventLoop } from './lib/event-loop-monitor';
import { EMBEDDED_DB_NAME, embeddedUrlFor } from './lib/embedded-postgres';
import { createLogger, exitAfterLogs, type Logger } from './lib/logger';
import { prepareDatabase } from './lib/prepare-database';
import {
  forkedByPrimary,
  scrapeThroughPrimary,
  serveMetrics,
  shareWithPrimary,
  stopSharingWithPrimary,
} from './metrics/host-metrics';
import { createWorkerMetrics } from './metrics/registry';
/** Set by a spare before it loads this module (server/cluster/spare-mark.ts); never set in a plain worker. */
const spareWaiting = (): boolean => (globalThis as Record<symbol, unknown>)[Symbol.for('aquifer.spare')] === true;

/** Signals the primary acts on, ignored by workers (and spares), which get them too when sent to the group. */
export const PRIMARY_SIGNALS = ['SIGHUP', 'SIGUSR2', 'SIGTTIN', 'SIGTTOU'] as const;

/** How long a draining worker waits for requests on connections it already accepted. */
const HANDOFF_GRACE_MS = 1_000;
/** While draining, how often sockets that have fallen idle are closed. */
const IDLE_SWEEP_MS = 100;
/** How long to wait for the pool to end before exiting regardless. */
const POOL_END_TIMEOUT_MS = 2_000;

interface Identity {
  readonly index: number;
  readonly poolSize: number;
  readonly url: string;
}

/** Under pm2 the embedded database is a sibling app that may still be initialising. */
async function waitForEmbeddedUrl(config: Config): Promise<string> {
  const deadline = Date.now() + config.db.startupWaitMs;
  for (;;) {
    try {
      return (await embeddedUrlFor(config.embedded.dataDir, config.embedded.port))(EMBEDDED_DB_NAME);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

const workerIndex = (config: Config) => config.worker.index ?? config.worker.pm2Instance ?? 0;

/**
 * Under pm2 nobody hands us a pool, so plan the budget ourselves with the same
 * math as the primary. `pm2 reload` starts each replacement (same
 * NODE_APP_INSTANCE) before its predecessor stops, PM2_RELOAD_PARALLEL at a
 * time, so every instance takes the same pool, sized for WEB_CONCURRENCY +
 * PM2_RELOAD_PARALLEL processes: the budget holds even mid-reload.
 */
async function resolveIdentity(config: Config, logger: Logger): Promise<Identity> {
  const index = workerIndex(config);
  const url = config.db.url ?? (await waitForEmbeddedUrl(config));
  if (config.worker.poolSize !== null) return { index, poolSize: config.worker.poolSize, url };
  const { workers, pm2ReloadParallel: parallel } = config.cluster;
  if (index >= workers) {
    throw new Error(`instance ${index} is outside WEB_CONCURRENCY=${workers}; set it to pm2's instance count`);
  }
  const planned = workers + parallel;
  const prepared = await prepareDatabase(url, `${config.appName}:w${index}`, config, logger, planned).catch(
    (err: unknown) => {
      if (!(err instanceof BudgetError)) throw err;
      const why = `under pm2, WEB_CONCURRENCY=${workers} + PM2_RELOAD_PARALLEL=${parallel} = ${planned} processes`;
      throw new BudgetError(`${why} share the host's budget during a reload (lower either): ${err.message}`);
    },
  );
  return { index, poolSize: pm2InstancePool(prepared.plan.perHost, workers, parallel), url };
}

async function runWorker(config: Config, logger: Logger): Promise<void> {
  let shuttingDown = false;
  // Filled in once booted; the stop handlers below exist before them.
  const running: { server?: http.Server; db?: Database } = {};

  const shutdown = async (reason: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    // Asked to stop while still booting: nothing is being served yet.
    const { server, db } = running;
    if (!server || !db) process.exit(0);
    logger.info({ reason, delayMs: config.http.shutdownDelayMs }, 'draining');
    if (forkedByPrimary(config.worker.index)) stopSharingWithPrimary();
    // Readiness already says 503; keep serving while load balancers notice.
    await sleep(config.http.shutdownDelayMs);
    // Stop accepting, but not through http.Server#close: it also drops idle sockets at once, and a
    // connection accepted a moment ago has not sent its request yet, so it counts as idle.
    const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
    const deadline = setTimeout(() => {
      logger.warn('shutdown timeout: closing remaining connections');
      server.closeAllConnections();
    }, config.http.shutdownTimeoutMs);
    // Requests arriving in the grace period are served with Connection: close. After it, keep
    // sweeping sockets that fall idle (a response already under way when draining began may
    // have promised keep-alive), so the drain ends as soon as the last response is out.
    await sleep(Math.min(HANDOFF_GRACE_MS, config.http.shutdownTimeoutMs));
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    await closed;
    clearInterval(sweep);
    clearTimeout(deadline);
    // pool.end() waits for checked-out clients; a handler cut off at the deadline may hold one.
    const ended = await Promise.race([db.end().then(() => true), sleep(POOL_END_TIMEOUT_MS).then(() => false)]).catch(
      (err: unknown) => {
        logger.warn({ err }, 'pool did not end cleanly');
        return false;
      },
    );
    if (!ended) logger.warn({ timeoutMs: POOL_END_TIMEOUT_MS }, 'pool still had clients checked out; exiting anyway');
    logger.info('worker stopped');
    exitAfterLogs(0);
  };

  // Registered before the slow part of booting, so a stop request is never lost.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      exitAfterLogs(1);
      return;
    }
    void shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A resize that arrives before the pool exists sets its starting size instead.
  let poolSizeFromPrimary: number | undefined;
  process.on('message', (msg: unknown) => {
    if (isMessage(msg, SHUTDOWN_MESSAGE.type)) {
      void shutdown('primary asked');
    }
    if (isMessage<CountBackendsRequest>(msg, COUNT_BACKENDS_MESSAGE)) {
      // A sibling died: the primary restarts it once its sessions are gone (cluster/dead-backends.ts).
      const reply = (count: number | null) =>
        process.send?.({ type: BACKENDS_COUNTED_MESSAGE, id: msg.id, count } satisfies BackendsCounted);
      if (!running.db || shuttingDown) return reply(null);
      countBackends(running.db, `${config.appName}:w${msg.index}`).then(reply, () => reply(null));
      return;
    }
    if (!isResizeRequest(msg)) return;
    const answer = (ok: boolean) => process.send?.({ type: RESIZED_MESSAGE, id: msg.id, ok });
    if (!running.db) {
      poolSizeFromPrimary = msg.max;
      answer(true);
      return;
    }
    const from = running.db.stats().max;
    running.db.resize(msg.max, poolResizeTimeoutMs(config).worker).then(
      () => {
        logger.info({ from, poolSize: msg.max }, 'pool resized');
        answer(true);
      },
      (err: unknown) => {
        logger.error({ err, from, poolSize: msg.max }, 'pool resize failed');
        answer(false);
      },
    );
  });

  const identity = await resolveIdentity(config, logger);
  if (shuttingDown) process.exit(0);

  const metrics = createWorkerMetrics(`w${identity.index}`);
  const db = createDatabase({
    connectionString: identity.url,
    applicationName: `${config.appName}:w${identity.index}`,
    max: poolSizeFromPrimary ?? identity.poolSize,
    ...poolSettings(config.db),
    logger,
    observer: metrics.poolObserver,
  });
  metrics.watchPool(() => db.stats());
  const underPrimary = forkedByPrimary(config.worker.index);
  if (underPrimary) shareWithPrimary(metrics.registry);
  const app = buildApp({
    db,
    logger,
    lifecycle: { isShuttingDown: () => shuttingDown },
    ...appSettings(config),
    metrics: {
      observeHttp: metrics.observeHttp,
      // Under our primary one scrape covers the host; under pm2 each instance answers for itself.
      scrape: underPrimary ? scrapeThroughPrimary : () => metrics.registry.metrics(),
    },
  });

  const server = http.createServer(
    {
      keepAliveTimeout: config.http.keepAliveTimeoutMs,
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      // Node enforces both timeouts only on this sweep (30 s by default), so a slowloris outlived them.
      connectionsCheckingInterval: 1_000,
    },
    app,
  );
  Object.assign(running, { server, db });
  // Its timer is unref'd: it watches while the worker serves and never holds up an exit.
  metrics.watchEventLoop(monitorEventLoop(logger, config.http.eventLoopDelayWarnMs));
  if (!underPrimary && config.metrics.port !== null) {
    // Under pm2 there is no primary to sum the instances: each serves its own, one port per instance.
    const port = config.metrics.port + identity.index;
    await serveMetrics(config.metrics.host, port, () => metrics.registry.metrics(), logger);
    logger.info({ port, host: config.metrics.host }, 'metrics listening');
  }
  server.on('error', (err) => {
    logger.fatal({ err }, `cannot listen on ${config.http.host}:${config.http.port}`);
    exitAfterLogs(1);
  });
  server.listen(config.http.port, config.http.host, () => {
    logger.info({ port: config.http.port, poolSize: identity.poolSize }, 'listening');
    // Our primary and pm2 (wait_ready) both wait for this exact message.
    process.send?.(READY_MESSAGE);
  });
}

/** Starts this process as a worker: at load, or in a spare once the primary assigns it a place. */
export function startWorker(): void {
  const config = readConfigOrExitOnceReported();
  if (!config) return;
  if (forkedByPrimary(config.worker.index)) answerPrimaryScrapesOnce();
  // The primary acts on these. Sent to the whole process group (a closed terminal sends SIGHUP),
  // their default actions would kill or suspend every worker at once.
  for (const signal of PRIMARY_SIGNALS) process.on(signal, () => undefined);
  const logger = createLogger(config.logLevel, `w${workerIndex(config)}`);
  // Unknown state after these: log and exit, and let the supervisor start a fresh process.
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    exitAfterLogs(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    exitAfterLogs(1);
  });
  runWorker(config, logger).catch((err: unknown) => {
    logger.fatal({ err }, `worker start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    exitAfterLogs(1);
  });
}

// Not guarded by require.main: pm2 loads this file through its own wrapper. A spare loads it ahead.
if (!spareWaiting()) startWorker();

/**
 * pm2: `npm run build && npx pm2 start ecosystem.config.js`.
 *
 * In cluster mode pm2 is the primary. Each instance runs dist/server/worker.js,
 * which plans the same per-host budget as our own primary would. Every instance
 * takes the same pool, floor(per host / (WEB_CONCURRENCY + PM2_RELOAD_PARALLEL)),
 * so the budget holds through `pm2 reload`, which starts PM2_RELOAD_PARALLEL
 * replacements before stopping the instances they replace. WEB_CONCURRENCY must
 * equal the instance count, and PM2_RELOAD_PARALLEL be at least pm2's reload
 * parallelism (PM2_CONCURRENT_ACTIONS or --parallel, default 2); both come from
 * the one validated configuration and are passed to every instance.
 */
const { pm2Settings } = require('./dist/config');

const { config, killTimeoutMs } = pm2Settings();
const workers = config.cluster.workers;

const apiApp = {
  name: 'aquifer',
  script: 'dist/server/worker.js',
  exec_mode: 'cluster',
  instances: workers,
  env: { WEB_CONCURRENCY: String(workers), PM2_RELOAD_PARALLEL: String(config.cluster.pm2ReloadParallel) },
  // The worker calls process.send('ready') once it listens.
  wait_ready: true,
  listen_timeout: config.db.startupWaitMs + 10000,
  // Above the worker's whole drain, so pm2 never SIGKILLs a draining worker.
  kill_timeout: killTimeoutMs,
  max_restarts: config.cluster.maxCrashes,
  exp_backoff_restart_delay: config.cluster.backoffBaseMs,
};

// Without DATABASE_URL, run the embedded PostgreSQL as its own app, as `npm start` does.
const databaseApp = {
  name: 'aquifer-db',
  script: 'dist/server/embedded-db.js',
  exec_mode: 'fork',
  instances: 1,
  wait_ready: true,
  listen_timeout: 120000,
  kill_timeout: 30000,
};

module.exports = { apps: config.db.url === null ? [databaseApp, apiApp] : [apiApp] };

import os from 'node:os';
import Joi from 'joi';

/**
 * Every environment variable aquifer reads, with its default. This is the one
 * place a default lives; `config/index.ts` only reshapes the validated values.
 */
const ms = (def: number, min = 0) => Joi.number().integer().min(min).default(def);
const count = (def: number, min = 1) => Joi.number().integer().min(min).default(def);
const port = () => Joi.number().port().messages({ 'number.port': 'must be a TCP port from 0 to 65535' });
const postgresUrl = () =>
  Joi.string()
    .uri({ scheme: ['postgres', 'postgresql'] })
    .messages({ 'string.uriCustomScheme': 'must be a postgres:// or postgresql:// URL' });
const flag = () => Joi.boolean().truthy('1', 'yes', 'on').falsy('0', 'no', 'off');
// As a browser sends Origin: scheme://host[:port] and nothing after it, not even a slash.
const ORIGIN = /^https?:\/\/[^/?#@\s]+$/i;
/** A comma-separated list of origins, or `*`, validated and normalized (lower-case host, no default port). */
const corsOrigins = () =>
  Joi.string()
    .custom((value: string, helpers) => {
      const origins: string[] = [];
      for (const item of value.split(',').map((s) => s.trim())) {
        if (item === '') continue;
        // A pattern would never equal the Origin a browser sends, so it would silently open nothing.
        if (item !== '*' && item.includes('*')) return helpers.error('cors.pattern', { origin: item });
        const origin = item === '*' ? item : ORIGIN.test(item) && URL.canParse(item) ? new URL(item).origin : null;
        if (origin === null) return helpers.error('cors.origin', { origin: item });
        origins.push(origin);
      }
      return [...new Set(origins)];
    })
    .messages({
      'cors.origin': 'has "{#origin}", which is neither * nor an origin such as https://app.example.org:8443',
      'cors.pattern': 'has "{#origin}", a pattern: only * on its own is allowed, so list each origin',
    });

export const envSchema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  APP_NAME: Joi.string()
    .pattern(/^[A-Za-z0-9_.-]{1,40}$/)
    .default('aquifer')
    .messages({ 'string.pattern.base': 'must be 1–40 letters, digits, "_", "." or "-"' }),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),

  HOST: Joi.string().default('0.0.0.0'),
  PORT: port().default(3000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: ms(65_000, 1),
  HTTP_HEADERS_TIMEOUT_MS: ms(66_000, 1),
  HTTP_REQUEST_TIMEOUT_MS: ms(120_000, 1),
  HTTP_BODY_LIMIT_BYTES: count(1_048_576),
  SHUTDOWN_DELAY_MS: ms(0),
  SHUTDOWN_TIMEOUT_MS: ms(10_000, 100),
  READINESS_TIMEOUT_MS: ms(1_000, 10),
  READINESS_FAIL_WHEN_SATURATED_MS: ms(0),
  EVENT_LOOP_DELAY_WARN_MS: ms(200),
  // Unset: no separate metrics listener (GET /metrics on the API port still answers admin keys).
  METRICS_PORT: port(),
  METRICS_HOST: Joi.string().default('127.0.0.1'),

  READS_REQUIRE_AUTH: flag().default(false),
  BULK_MAX_BYTES: count(268_435_456),
  BULK_STATEMENT_TIMEOUT_MS: ms(300_000, 1),
  // Unset or empty: CORS closed (no browser on another origin may read answers).
  CORS_ORIGINS: corsOrigins(),
  CORS_MAX_AGE_S: count(600, 0),

  WEB_CONCURRENCY: count(os.availableParallelism()),
  // pm2 7 replaces this many instances at once on reload (PM2_CONCURRENT_ACTIONS, default 2).
  PM2_RELOAD_PARALLEL: count(2),
  WORKER_MAX_CRASHES: count(5),
  WORKER_SPARE: flag().default(true),
  WORKER_CRASH_WINDOW_MS: ms(60_000, 1),
  WORKER_BACKOFF_BASE_MS: ms(250, 1),
  WORKER_BACKOFF_MAX_MS: ms(10_000, 1),

  DATABASE_URL: postgresUrl(),
  // PostgreSQL itself, for start-up work a transaction pooler cannot carry (migrations hold a session lock).
  DATABASE_DIRECT_URL: postgresUrl(),
  DB_POOLER: Joi.string().valid('none', 'pgbouncer').default('none'),
  DB_CONNECTION_BUDGET: Joi.alternatives()
    .try(Joi.string().valid('auto'), Joi.number().integer().min(1))
    .default('auto')
    .messages({
      'alternatives.match': 'must be "auto" or an integer ≥ 1',
      'alternatives.types': 'must be "auto" or an integer ≥ 1',
      'alternatives.any': 'must be "auto" or an integer ≥ 1',
    }),
  DB_RESERVED_CONNECTIONS: count(5, 0),
  APP_REPLICAS: count(1),
  DB_ACQUIRE_TIMEOUT_MS: ms(3_000, 1),
  DB_STATEMENT_TIMEOUT_MS: ms(10_000, 1),
  DB_IDLE_TIMEOUT_MS: ms(10_000, 0),
  DB_MAX_LIFETIME_S: count(1_800, 0),
  DB_STARTUP_WAIT_MS: ms(30_000),
  // No default here on purpose: unset means "on, unless DB_POOLER=pgbouncer" (PgBouncer < 1.21 cannot carry them).
  DB_PREPARED_STATEMENTS: flag(),
  DB_MAX_QUEUE: count(1_000, 0),
  DB_SLOW_QUERY_MS: ms(1_000),
  DB_CLIENT_CHECK_INTERVAL_MS: ms(1_000),
  DB_MIGRATE: flag().default(true),
  // No default here on purpose: unset means "load it when the database is embedded".
  DB_SAMPLE_DATA: flag(),

  EMBEDDED_PG_PORT: port().default(54329),
  EMBEDDED_PG_DATA_DIR: Joi.string().default('.data/pg'),

  // Set by our primary for each worker it forks; never by operators.
  AQUIFER_WORKER_INDEX: Joi.number().integer().min(0),
  AQUIFER_POOL_SIZE: Joi.number().integer().min(1),
  // Set by pm2 in cluster mode.
  NODE_APP_INSTANCE: Joi.number().integer().min(0),
})
  .unknown(true)
  .custom((env: Record<string, unknown>, helpers) => {
    const problem = crossFieldProblem(env);
    return problem ? helpers.message({ custom: problem }) : env;
  });

/** Rules that involve more than one variable; each message names them all. */
function crossFieldProblem(env: Record<string, unknown>): string | null {
  const n = (k: string) => env[k] as number;
  if (n('HTTP_HEADERS_TIMEOUT_MS') <= n('HTTP_KEEP_ALIVE_TIMEOUT_MS')) {
    return `HTTP_HEADERS_TIMEOUT_MS=${n('HTTP_HEADERS_TIMEOUT_MS')} must be greater than HTTP_KEEP_ALIVE_TIMEOUT_MS=${n('HTTP_KEEP_ALIVE_TIMEOUT_MS')}`;
  }
  if (n('HTTP_REQUEST_TIMEOUT_MS') < n('HTTP_HEADERS_TIMEOUT_MS')) {
    return `HTTP_REQUEST_TIMEOUT_MS=${n('HTTP_REQUEST_TIMEOUT_MS')} must be at least HTTP_HEADERS_TIMEOUT_MS=${n('HTTP_HEADERS_TIMEOUT_MS')}`;
  }
  if (n('WORKER_BACKOFF_MAX_MS') < n('WORKER_BACKOFF_BASE_MS')) {
    return `WORKER_BACKOFF_MAX_MS=${n('WORKER_BACKOFF_MAX_MS')} must be at least WORKER_BACKOFF_BASE_MS=${n('WORKER_BACKOFF_BASE_MS')}`;
  }
  const metricsPort = env.METRICS_PORT as number | undefined;
  if (metricsPort !== undefined && metricsPort === n('PORT')) {
    return `METRICS_PORT=${metricsPort} must differ from PORT=${n('PORT')}: the metrics listener has no authentication`;
  }
  const budget = env.DB_CONNECTION_BUDGET;
  const poolerProblem = pgbouncerProblem(env);
  if (poolerProblem) return poolerProblem;
  if (typeof budget === 'number') {
    const perHost = Math.floor(budget / n('APP_REPLICAS'));
    if (perHost < n('WEB_CONCURRENCY')) {
      return (
        `DB_CONNECTION_BUDGET=${budget} over APP_REPLICAS=${n('APP_REPLICAS')} leaves ${perHost} ` +
        `connection(s) per host, fewer than WEB_CONCURRENCY=${n('WEB_CONCURRENCY')} workers; ` +
        'each worker needs at least one'
      );
    }
  }
  return null;
}

/**
 * Behind PgBouncer in transaction pooling a session outlives no transaction, so
 * what needs one (start-up migrations, the sample-data lock) must reach
 * PostgreSQL directly, and the budget is PgBouncer's server pool, which the
 * server's max_connections cannot tell us.
 */
function pgbouncerProblem(env: Record<string, unknown>): string | null {
  if (env.DB_POOLER !== 'pgbouncer') return null;
  if (env.DATABASE_URL === undefined) {
    return 'DB_POOLER=pgbouncer needs DATABASE_URL pointing at PgBouncer (the embedded PostgreSQL has none in front)';
  }
  if (env.DB_CONNECTION_BUDGET === 'auto') {
    return (
      'DB_POOLER=pgbouncer needs DB_CONNECTION_BUDGET set to the server connections PgBouncer may open for this ' +
      'database (its max_db_connections); "auto" would read max_connections, which PgBouncer, not aquifer, is held to'
    );
  }
  const sessionWork = ['DB_MIGRATE', 'DB_SAMPLE_DATA'].filter((k) => env[k] === true);
  if (sessionWork.length > 0 && env.DATABASE_DIRECT_URL === undefined) {
    return (
      `DB_POOLER=pgbouncer with ${sessionWork.map((k) => `${k}=true`).join(' and ')} needs DATABASE_DIRECT_URL ` +
      '(PostgreSQL itself): they hold a session lock that transaction pooling cannot keep. ' +
      'Set it, or set DB_MIGRATE=false and run "npm run migrate" against the database directly'
    );
  }
  return null;
}

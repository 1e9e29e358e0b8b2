import path from 'node:path';
import { envSchema } from './schema';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  readonly keepAliveTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly bodyLimitBytes: number;
  readonly shutdownDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly readinessTimeoutMs: number;
  /** /readyz answers 503 once the pool's queue has been full this long; 0: never for that reason. */
  readonly readinessFailWhenSaturatedMs: number;
  /** Log a warning, with the route, when the event loop stalls longer than this; 0: off. */
  readonly eventLoopDelayWarnMs: number;
}

export interface MetricsConfig {
  /** Port of the Prometheus listener (the primary's, aggregating every worker); null: none. */
  readonly port: number | null;
  readonly host: string;
}

export interface ApiConfig {
  /** false: GET needs no key; writes always need one with the write scope. */
  readonly readsRequireAuth: boolean;
  /** Largest bulk upload accepted; a larger one gets 413. */
  readonly bulkMaxBytes: number;
  /** statement_timeout inside a bulk upload's transaction (COPY and the checks). */
  readonly bulkStatementTimeoutMs: number;
  /** Which browser origins may call the API; absent (an app built by hand): CORS closed. */
  readonly cors?: CorsConfig;
}

export interface CorsConfig {
  /** Exact origins (normalized), given every method; '*' gives any other origin reads only. Empty: closed. */
  readonly origins: readonly string[];
  /** How long a browser may cache a preflight answer. */
  readonly maxAgeS: number;
}

export type Pooler = 'none' | 'pgbouncer';

export interface DbConfig {
  /** null means: run the embedded PostgreSQL. */
  readonly url: string | null;
  /** PostgreSQL itself, for start-up work (budget facts, migrations, sample data); null: `url`. */
  readonly directUrl: string | null;
  /** 'pgbouncer': `url` is PgBouncer in transaction pooling, so no session state and no startup parameters. */
  readonly pooler: Pooler;
  /** Connections for the whole deployment (all replicas), or 'auto' to read them from the server. */
  readonly connectionBudget: number | 'auto';
  readonly reservedConnections: number;
  readonly replicas: number;
  readonly acquireTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxLifetimeS: number;
  /** How long start-up keeps retrying a database that is not reachable yet. */
  readonly startupWaitMs: number;
  readonly preparedStatements: boolean;
  /** Requests waiting for a connection beyond which new ones are shed with 503 at once. */
  readonly maxQueue: number;
  /** Statements slower than this are logged (text without parameters); 0: off. */
  readonly slowQueryMs: number;
  /** client_connection_check_interval on our sessions: a dead worker's running statements end this soon. 0: not set (always so behind PgBouncer). */
  readonly clientCheckIntervalMs: number;
  readonly migrate: boolean;
  readonly sampleData: boolean;
}

export interface EmbeddedDbConfig {
  readonly port: number;
  /** Absolute path of the data directory. */
  readonly dataDir: string;
}

export interface ClusterConfig {
  readonly workers: number;
  /** Under pm2: replacements `pm2 reload` runs at once beside the instances they replace. */
  readonly pm2ReloadParallel: number;
  readonly maxCrashes: number;
  /** Keep one loaded spare process to take a dead worker's place (no connections until it does). */
  readonly spare: boolean;
  readonly crashWindowMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** Who this process is, when it is a worker: set by our primary, or by pm2. */
export interface WorkerIdentity {
  readonly index: number | null;
  readonly poolSize: number | null;
  readonly pm2Instance: number | null;
}

export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly appName: string;
  readonly logLevel: LogLevel;
  readonly http: HttpConfig;
  readonly api: ApiConfig;
  readonly db: DbConfig;
  readonly embedded: EmbeddedDbConfig;
  readonly cluster: ClusterConfig;
  readonly metrics: MetricsConfig;
  readonly worker: WorkerIdentity;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Validates an environment once and returns a frozen, typed configuration. Throws ConfigError. */
export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  // Empty strings mean "unset", as they do for most twelve-factor tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const { value, error } = envSchema.validate(present, { abortEarly: false, convert: true });
  if (error) {
    throw new ConfigError(
      error.details.map((d) => {
        const key = d.path.join('.');
        if (!key) return d.message;
        const raw = present[key];
        // A database URL may carry a password; never echo it.
        const shown = key === 'DATABASE_URL' && raw !== undefined ? withoutPassword(raw) : raw;
        return `${key}=${JSON.stringify(shown)} is invalid: ${d.message.replace(`"${key}" `, '')}`;
      }),
    );
  }
  const v = value as Record<string, unknown>;
  const num = (k: string) => v[k] as number;
  const opt = (k: string) => (v[k] === undefined ? null : (v[k] as number));
  const url = (v.DATABASE_URL as string | undefined) ?? null;
  const pooler = v.DB_POOLER as Pooler;

  return deepFreeze({
    nodeEnv: v.NODE_ENV as Config['nodeEnv'],
    appName: v.APP_NAME as string,
    logLevel: v.LOG_LEVEL as LogLevel,
    http: {
      host: v.HOST as string,
      port: num('PORT'),
      keepAliveTimeoutMs: num('HTTP_KEEP_ALIVE_TIMEOUT_MS'),
      headersTimeoutMs: num('HTTP_HEADERS_TIMEOUT_MS'),
      requestTimeoutMs: num('HTTP_REQUEST_TIMEOUT_MS'),
      bodyLimitBytes: num('HTTP_BODY_LIMIT_BYTES'),
      shutdownDelayMs: num('SHUTDOWN_DELAY_MS'),
      shutdownTimeoutMs: num('SHUTDOWN_TIMEOUT_MS'),
      readinessTimeoutMs: num('READINESS_TIMEOUT_MS'),
      readinessFailWhenSaturatedMs: num('READINESS_FAIL_WHEN_SATURATED_MS'),
      eventLoopDelayWarnMs: num('EVENT_LOOP_DELAY_WARN_MS'),
    },
    api: {
      readsRequireAuth: v.READS_REQUIRE_AUTH as boolean,
      bulkMaxBytes: num('BULK_MAX_BYTES'),
      bulkStatementTimeoutMs: num('BULK_STATEMENT_TIMEOUT_MS'),
      cors: { origins: (v.CORS_ORIGINS as string[] | undefined) ?? [], maxAgeS: num('CORS_MAX_AGE_S') },
    },
    db: {
      url,
      directUrl: (v.DATABASE_DIRECT_URL as string | undefined) ?? null,
      pooler,
      connectionBudget: v.DB_CONNECTION_BUDGET as number | 'auto',
      reservedConnections: num('DB_RESERVED_CONNECTIONS'),
      replicas: num('APP_REPLICAS'),
      acquireTimeoutMs: num('DB_ACQUIRE_TIMEOUT_MS'),
      statementTimeoutMs: num('DB_STATEMENT_TIMEOUT_MS'),
      idleTimeoutMs: num('DB_IDLE_TIMEOUT_MS'),
      maxLifetimeS: num('DB_MAX_LIFETIME_S'),
      startupWaitMs: num('DB_STARTUP_WAIT_MS'),
      preparedStatements: (v.DB_PREPARED_STATEMENTS as boolean | undefined) ?? pooler === 'none',
      maxQueue: num('DB_MAX_QUEUE'),
      slowQueryMs: num('DB_SLOW_QUERY_MS'),
      // PgBouncer (before 1.20) refuses startup options, and a SET would outlive the transaction.
      clientCheckIntervalMs: pooler === 'none' ? num('DB_CLIENT_CHECK_INTERVAL_MS') : 0,
      migrate: v.DB_MIGRATE as boolean,
      sampleData: (v.DB_SAMPLE_DATA as boolean | undefined) ?? url === null,
    },
    embedded: {
      port: num('EMBEDDED_PG_PORT'),
      dataDir: path.resolve(cwd, v.EMBEDDED_PG_DATA_DIR as string),
    },
    cluster: {
      workers: num('WEB_CONCURRENCY'),
      pm2ReloadParallel: num('PM2_RELOAD_PARALLEL'),
      maxCrashes: num('WORKER_MAX_CRASHES'),
      spare: v.WORKER_SPARE as boolean,
      crashWindowMs: num('WORKER_CRASH_WINDOW_MS'),
      backoffBaseMs: num('WORKER_BACKOFF_BASE_MS'),
      backoffMaxMs: num('WORKER_BACKOFF_MAX_MS'),
    },
    metrics: {
      port: opt('METRICS_PORT'),
      host: v.METRICS_HOST as string,
    },
    worker: {
      index: opt('AQUIFER_WORKER_INDEX'),
      poolSize: opt('AQUIFER_POOL_SIZE'),
      pm2Instance: opt('NODE_APP_INSTANCE'),
    },
  });
}

function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Unparseable: show nothing after the scheme rather than risk a secret.
    return `${url.split(':')[0]}://…`;
  }
}

let cached: Config | undefined;

/** The process's configuration, read from process.env on first use. The only reader of process.env. */
export function readConfig(): Config {
  cached ??= loadConfig(process.env);
  return cached;
}

/** How long a worker may take to stop once asked, before a supervisor (ours or pm2) kills it. */
export function workerStopTimeoutMs(config: Config): number {
  // The worker's own drain, its 1 s hand-off grace, up to 2 s for its pool to end, up to
  // EXIT_OUTPUT_WAIT_MS (1 s) for its last log lines, and slack.
  return config.http.shutdownDelayMs + config.http.shutdownTimeoutMs + 5_000;
}

/**
 * How long a worker's pool may take to shrink: its busy connections close as
 * their statements end, which the client-side query timeout (statement timeout
 * + 2 s) bounds. The primary waits 2 s more for the worker's answer.
 */
/**
 * How long a dead worker's backends may outlive it. An idle backend sees its
 * socket close at once; one running a statement notices only at the next
 * client_connection_check_interval (or when the statement ends, if unset).
 */
export function deadWorkerGraceMs(config: Config): number {
  // Behind PgBouncer the dead worker's connections were PgBouncer's clients, and its server pool holds the
  // budget; a statement still running ends at the role's statement_timeout, which start-up insists on.
  if (config.db.pooler === 'pgbouncer') return 0;
  return (config.db.clientCheckIntervalMs > 0 ? config.db.clientCheckIntervalMs : config.db.statementTimeoutMs) + 500;
}

/** What every worker pool takes from the configuration (server/lib/db's PoolOptions), in one place. */
export function poolSettings(db: DbConfig) {
  return {
    acquireTimeoutMs: db.acquireTimeoutMs,
    statementTimeoutMs: db.statementTimeoutMs,
    idleTimeoutMs: db.idleTimeoutMs,
    maxLifetimeS: db.maxLifetimeS,
    preparedStatements: db.preparedStatements,
    maxQueue: db.maxQueue,
    slowQueryMs: db.slowQueryMs,
    clientCheckIntervalMs: db.clientCheckIntervalMs,
    transactionPooler: db.pooler === 'pgbouncer',
  };
}

/** What every app (server/app's AppDeps) takes from the configuration, in one place. */
export function appSettings(config: Config) {
  return {
    bodyLimitBytes: config.http.bodyLimitBytes,
    readinessTimeoutMs: config.http.readinessTimeoutMs,
    readinessFailWhenSaturatedMs: config.http.readinessFailWhenSaturatedMs,
    api: config.api,
  };
}

export function poolResizeTimeoutMs(config: Config): { worker: number; primary: number } {
  const worker = config.db.statementTimeoutMs + 3_000;
  return { worker, primary: worker + 2_000 };
}

/** pm2 app settings derived from the one validated configuration (used by ecosystem.config.js). */
export function pm2Settings(): { config: Config; killTimeoutMs: number } {
  const config = readConfigOrExit();
  return { config, killTimeoutMs: workerStopTimeoutMs(config) };
}

/**
 * How long an exiting process waits for its last output to be written (a configuration error, the
 * worker's last log lines: under pm2's cluster mode both are appended asynchronously). Within the
 * slack of workerStopTimeoutMs.
 */
export const EXIT_OUTPUT_WAIT_MS = 1_000;

const configErrorText = (err: unknown) => `${err instanceof ConfigError ? err.message : String(err)}\n`;

/** For entry points: the configuration, or the validation message on stderr and exit 1. */
export function readConfigOrExit(): Config {
  try {
    return readConfig();
  } catch (err) {
    process.stderr.write(configErrorText(err));
    process.exit(1);
  }
}

/**
 * For the worker, which pm2 may run in cluster mode: the configuration, or undefined while the
 * validation message goes to stderr, and exit 1 once it is written (1 s at most). There pm2 appends
 * stderr to its log file asynchronously, and an immediate exit could lose the message.
 */
export function readConfigOrExitOnceReported(): Config | undefined {
  try {
    return readConfig();
  } catch (err) {
    const exit = () => process.exit(1);
    setTimeout(exit, EXIT_OUTPUT_WAIT_MS);
    process.stderr.write(configErrorText(err), undefined, exit);
    return undefined;
  }
}

/** Environment for a forked worker: the parent's, plus what the primary decided for it. */
export function workerEnv(index: number, poolSize: number, databaseUrl: string): Env {
  return {
    ...process.env,
    AQUIFER_WORKER_INDEX: String(index),
    AQUIFER_POOL_SIZE: String(poolSize),
    DATABASE_URL: databaseUrl,
  };
}

function deepFreeze<T extends object>(o: T): T {
  for (const value of Object.values(o)) {
    if (value && typeof value === 'object') deepFreeze(value as object);
  }
  return Object.freeze(o);
}

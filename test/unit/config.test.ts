import os from 'node:os';
import { ConfigError, deadWorkerGraceMs, loadConfig, type Config } from '../../config/index';

type Env = Record<string, string | undefined>;

const CWD = '/srv/aquifer';
const load = (env: Env): Config => loadConfig(env, CWD);

function configError(env: Env): ConfigError {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected ConfigError for ${JSON.stringify(env)}`);
}

/** Every object reachable from `o`, including `o`. */
function objectsIn(o: object): object[] {
  return [o, ...Object.values(o).flatMap((v: unknown) => (v !== null && typeof v === 'object' ? objectsIn(v) : []))];
}

describe('loadConfig defaults', () => {
  const config = load({});

  it.each<[string, (c: Config) => unknown, unknown]>([
    ['PORT', (c) => c.http.port, 3000],
    ['HOST', (c) => c.http.host, '0.0.0.0'],
    ['DB_CONNECTION_BUDGET', (c) => c.db.connectionBudget, 'auto'],
    ['DB_RESERVED_CONNECTIONS', (c) => c.db.reservedConnections, 5],
    ['APP_REPLICAS', (c) => c.db.replicas, 1],
    ['DB_ACQUIRE_TIMEOUT_MS', (c) => c.db.acquireTimeoutMs, 3000],
    ['DB_STATEMENT_TIMEOUT_MS', (c) => c.db.statementTimeoutMs, 10_000],
    ['APP_NAME', (c) => c.appName, 'aquifer'],
    ['LOG_LEVEL', (c) => c.logLevel, 'info'],
    ['NODE_ENV', (c) => c.nodeEnv, 'development'],
    ['DATABASE_URL', (c) => c.db.url, null],
    ['DB_SAMPLE_DATA (embedded)', (c) => c.db.sampleData, true],
    ['DB_PREPARED_STATEMENTS', (c) => c.db.preparedStatements, true],
    ['DB_MIGRATE', (c) => c.db.migrate, true],
    ['WEB_CONCURRENCY', (c) => c.cluster.workers, os.availableParallelism()],
    ['EMBEDDED_PG_DATA_DIR (resolved against cwd)', (c) => c.embedded.dataDir, '/srv/aquifer/.data/pg'],
    ['AQUIFER_WORKER_INDEX', (c) => c.worker.index, null],
    ['AQUIFER_POOL_SIZE', (c) => c.worker.poolSize, null],
    ['NODE_APP_INSTANCE', (c) => c.worker.pm2Instance, null],
  ])('%s', (_name, pick, expected) => {
    expect(pick(config)).toBe(expected);
  });

  it('keep-alive < headers ≤ request timeouts by default', () => {
    expect(config.http.keepAliveTimeoutMs).toBeLessThan(config.http.headersTimeoutMs);
    expect(config.http.headersTimeoutMs).toBeLessThanOrEqual(config.http.requestTimeoutMs);
  });
});

describe('loadConfig values', () => {
  it.each<[string, Env, (c: Config) => unknown, unknown]>([
    [
      'DATABASE_URL set ⇒ url kept',
      { DATABASE_URL: 'postgres://u@db:5432/a' },
      (c) => c.db.url,
      'postgres://u@db:5432/a',
    ],
    ['DATABASE_URL set ⇒ no sample data', { DATABASE_URL: 'postgresql://db/a' }, (c) => c.db.sampleData, false],
    [
      'DATABASE_URL set, DB_SAMPLE_DATA=1 ⇒ sample data',
      { DATABASE_URL: 'postgres://db/a', DB_SAMPLE_DATA: '1' },
      (c) => c.db.sampleData,
      true,
    ],
    ['DB_SAMPLE_DATA=0 embedded ⇒ none', { DB_SAMPLE_DATA: '0' }, (c) => c.db.sampleData, false],
    [
      'DB_CONNECTION_BUDGET=40 ⇒ number',
      { DB_CONNECTION_BUDGET: '40', WEB_CONCURRENCY: '2' },
      (c) => c.db.connectionBudget,
      40,
    ],
    ['DB_CONNECTION_BUDGET=auto', { DB_CONNECTION_BUDGET: 'auto' }, (c) => c.db.connectionBudget, 'auto'],
    ['DB_MIGRATE=true', { DB_MIGRATE: 'true' }, (c) => c.db.migrate, true],
    ['DB_MIGRATE=false', { DB_MIGRATE: 'false' }, (c) => c.db.migrate, false],
    ['DB_MIGRATE=1', { DB_MIGRATE: '1' }, (c) => c.db.migrate, true],
    ['DB_MIGRATE=0', { DB_MIGRATE: '0' }, (c) => c.db.migrate, false],
    ['DB_PREPARED_STATEMENTS=0', { DB_PREPARED_STATEMENTS: '0' }, (c) => c.db.preparedStatements, false],
    ['DB_PREPARED_STATEMENTS=false', { DB_PREPARED_STATEMENTS: 'false' }, (c) => c.db.preparedStatements, false],
    ['empty PORT ⇒ default', { PORT: '' }, (c) => c.http.port, 3000],
    ['empty DATABASE_URL ⇒ embedded', { DATABASE_URL: '' }, (c) => c.db.url, null],
    ['empty DB_CONNECTION_BUDGET ⇒ auto', { DB_CONNECTION_BUDGET: '' }, (c) => c.db.connectionBudget, 'auto'],
    ['empty DB_MIGRATE ⇒ default', { DB_MIGRATE: '' }, (c) => c.db.migrate, true],
    ['undefined APP_NAME ⇒ default', { APP_NAME: undefined }, (c) => c.appName, 'aquifer'],
    ['PORT=8080', { PORT: '8080' }, (c) => c.http.port, 8080],
    ['absolute EMBEDDED_PG_DATA_DIR kept', { EMBEDDED_PG_DATA_DIR: '/var/pg' }, (c) => c.embedded.dataDir, '/var/pg'],
    ['AQUIFER_WORKER_INDEX=0', { AQUIFER_WORKER_INDEX: '0' }, (c) => c.worker.index, 0],
    [
      'budget per host == workers is allowed',
      { DB_CONNECTION_BUDGET: '6', APP_REPLICAS: '2', WEB_CONCURRENCY: '3' },
      (c) => c.db.connectionBudget,
      6,
    ],
  ])('%s', (_name, env, pick, expected) => {
    expect(pick(load(env))).toEqual(expected);
  });
});

describe('loadConfig result is deeply frozen', () => {
  const config = load({ DATABASE_URL: 'postgres://db/a' });

  it.each(objectsIn(config).map((o, i) => [i, o] as const))('object #%i is frozen', (_i, o) => {
    expect(Object.isFrozen(o)).toBe(true);
  });

  it.each<[string, (c: Config) => void]>([
    ['top level', (c) => Object.assign(c, { appName: 'x' })],
    ['http', (c) => Object.assign(c.http, { port: 1 })],
    ['db', (c) => Object.assign(c.db, { connectionBudget: 1000 })],
    ['cluster', (c) => Object.assign(c.cluster, { workers: 64 })],
  ])('writing to %s throws', (_name, mutate) => {
    expect(() => mutate(config)).toThrow(TypeError);
  });

  it('covers every nested section', () => {
    // The config, its 7 sections, api.cors and its origins list.
    expect(objectsIn(config)).toHaveLength(10);
  });
});

describe('loadConfig refuses bad values, naming the variable and the value', () => {
  it.each<[string, string]>([
    ['PORT', '70000'],
    ['PORT', 'http'],
    ['PORT', '-1'],
    ['WEB_CONCURRENCY', 'abc'],
    ['WEB_CONCURRENCY', '0'],
    ['WEB_CONCURRENCY', '2.5'],
    ['DB_CONNECTION_BUDGET', '-1'],
    ['DB_CONNECTION_BUDGET', '0'],
    ['DB_CONNECTION_BUDGET', 'lots'],
    ['DB_CONNECTION_BUDGET', '2.5'],
    ['DB_RESERVED_CONNECTIONS', '-5'],
    ['APP_REPLICAS', '0'],
    ['DB_ACQUIRE_TIMEOUT_MS', '0'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['APP_NAME', 'my app'],
    ['APP_NAME', 'x'.repeat(41)],
    ['DB_MIGRATE', 'maybe'],
    ['EMBEDDED_PG_PORT', '99999'],
  ])('%s=%j', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.message).toContain(name);
    expect(err.message).toContain(value);
    expect(err.problems).toHaveLength(1);
  });

  it('lists every bad variable, not just the first', () => {
    const err = configError({ PORT: '70000', WEB_CONCURRENCY: 'abc', LOG_LEVEL: 'loud' });
    expect(err.problems).toHaveLength(3);
    for (const named of ['PORT="70000"', 'WEB_CONCURRENCY="abc"', 'LOG_LEVEL="loud"']) {
      expect(err.problems.filter((p) => p.startsWith(named))).toHaveLength(1);
    }
  });
});

/** The smallest valid PgBouncer set-up: migrations run elsewhere. */
const PGBOUNCER: Env = {
  DB_POOLER: 'pgbouncer',
  DATABASE_URL: 'postgres://app@pgbouncer:6432/a',
  DB_CONNECTION_BUDGET: '20',
  DB_MIGRATE: 'false',
  WEB_CONCURRENCY: '2',
};

describe('DB_POOLER=pgbouncer', () => {
  it.each<[string, Env, (c: Config) => unknown, unknown]>([
    ['no pooler ⇒ prepared statements on', {}, (c) => c.db.preparedStatements, true],
    ['PgBouncer ⇒ prepared statements off (1.18 cannot carry them)', PGBOUNCER, (c) => c.db.preparedStatements, false],
    [
      'PgBouncer ≥ 1.21 may turn them back on',
      { ...PGBOUNCER, DB_PREPARED_STATEMENTS: 'true' },
      (c) => c.db.preparedStatements,
      true,
    ],
    ['no pooler ⇒ the check interval is sent', {}, (c) => c.db.clientCheckIntervalMs, 1000],
    ['PgBouncer ⇒ no startup option', PGBOUNCER, (c) => c.db.clientCheckIntervalMs, 0],
    ['direct URL unset ⇒ null', PGBOUNCER, (c) => c.db.directUrl, null],
    [
      'direct URL kept',
      { ...PGBOUNCER, DATABASE_DIRECT_URL: 'postgres://db:5432/a' },
      (c) => c.db.directUrl,
      'postgres://db:5432/a',
    ],
  ])('%s', (_name, env, read, expected) => {
    expect(read(load(env))).toEqual(expected);
  });

  it('re-forks a dead worker at once behind PgBouncer: its server pool holds the budget', () => {
    expect(deadWorkerGraceMs(load(PGBOUNCER))).toBe(0);
    expect(deadWorkerGraceMs(load({}))).toBe(1_500);
  });
});

describe('loadConfig cross-field rules', () => {
  it.each<[string, Env, string[]]>([
    [
      'headers timeout equal to keep-alive',
      { HTTP_KEEP_ALIVE_TIMEOUT_MS: '66000', HTTP_HEADERS_TIMEOUT_MS: '66000' },
      ['HTTP_HEADERS_TIMEOUT_MS', 'HTTP_KEEP_ALIVE_TIMEOUT_MS'],
    ],
    [
      'headers timeout below keep-alive',
      { HTTP_KEEP_ALIVE_TIMEOUT_MS: '70000' },
      ['HTTP_HEADERS_TIMEOUT_MS=66000', 'HTTP_KEEP_ALIVE_TIMEOUT_MS=70000'],
    ],
    [
      'request timeout below headers timeout',
      { HTTP_REQUEST_TIMEOUT_MS: '1000' },
      ['HTTP_REQUEST_TIMEOUT_MS=1000', 'HTTP_HEADERS_TIMEOUT_MS=66000'],
    ],
    [
      'backoff max below base',
      { WORKER_BACKOFF_BASE_MS: '500', WORKER_BACKOFF_MAX_MS: '499' },
      ['WORKER_BACKOFF_MAX_MS=499', 'WORKER_BACKOFF_BASE_MS=500'],
    ],
    [
      'the metrics port equal to the API port',
      { PORT: '3000', METRICS_PORT: '3000' },
      ['METRICS_PORT=3000', 'PORT=3000'],
    ],
    [
      'budget below the worker count',
      { DB_CONNECTION_BUDGET: '2', WEB_CONCURRENCY: '3' },
      ['DB_CONNECTION_BUDGET=2', 'WEB_CONCURRENCY=3'],
    ],
    [
      'budget over replicas below the worker count',
      { DB_CONNECTION_BUDGET: '10', APP_REPLICAS: '3', WEB_CONCURRENCY: '4' },
      ['DB_CONNECTION_BUDGET=10', 'APP_REPLICAS=3', 'WEB_CONCURRENCY=4'],
    ],
    [
      'PgBouncer without DATABASE_URL',
      { DB_POOLER: 'pgbouncer', DB_CONNECTION_BUDGET: '10', DB_MIGRATE: 'false' },
      ['DB_POOLER=pgbouncer', 'DATABASE_URL'],
    ],
    [
      'PgBouncer with an automatic budget',
      { ...PGBOUNCER, DB_CONNECTION_BUDGET: undefined },
      ['DB_POOLER=pgbouncer', 'DB_CONNECTION_BUDGET', 'max_db_connections'],
    ],
    [
      'PgBouncer migrating without a direct URL',
      { ...PGBOUNCER, DB_MIGRATE: undefined },
      ['DB_POOLER=pgbouncer', 'DB_MIGRATE=true', 'DATABASE_DIRECT_URL'],
    ],
    [
      'PgBouncer loading sample data without a direct URL',
      { ...PGBOUNCER, DB_SAMPLE_DATA: 'true' },
      ['DB_SAMPLE_DATA=true', 'DATABASE_DIRECT_URL'],
    ],
    ['an unknown pooler', { DB_POOLER: 'pgpool' }, ['DB_POOLER="pgpool"']],
    ['a direct URL that is not postgres', { DATABASE_DIRECT_URL: 'mysql://db/a' }, ['DATABASE_DIRECT_URL']],
  ])('refuses %s', (_name, env, mentions) => {
    const err = configError(env);
    for (const m of mentions) expect(err.message).toContain(m);
  });

  it.each<[string, Env]>([
    ['headers just above keep-alive', { HTTP_KEEP_ALIVE_TIMEOUT_MS: '65999', HTTP_HEADERS_TIMEOUT_MS: '66000' }],
    ['request equal to headers', { HTTP_REQUEST_TIMEOUT_MS: '66000' }],
    ['backoff max equal to base', { WORKER_BACKOFF_BASE_MS: '500', WORKER_BACKOFF_MAX_MS: '500' }],
    ['budget equal to the worker count', { DB_CONNECTION_BUDGET: '3', WEB_CONCURRENCY: '3' }],
    ['PgBouncer with migrations off', PGBOUNCER],
    [
      'PgBouncer migrating through a direct URL',
      { ...PGBOUNCER, DB_MIGRATE: 'true', DATABASE_DIRECT_URL: 'postgres://db:5432/a' },
    ],
  ])('accepts the boundary: %s', (_name, env) => {
    expect(() => load(env)).not.toThrow();
  });
});

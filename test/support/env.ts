/**
 * What the global set-up tells the test files, through environment variables
 * (the only channel jest carries from global set-up into its workers).
 */
export const TEST_ENV = {
  adminUrl: 'AQUIFER_TEST_ADMIN_URL',
  templateDb: 'AQUIFER_TEST_TEMPLATE_DB',
  dataDir: 'AQUIFER_TEST_PG_DATA_DIR',
  port: 'AQUIFER_TEST_PG_PORT',
  /** Set by the global set-up when the run goes through PgBouncer (`npm run test:pgbouncer`). */
  pgbouncerPort: 'AQUIFER_TEST_PGBOUNCER_PORT',
} as const;

/** `npm run test:pgbouncer` asks for this: the app's pools go through PgBouncer in transaction pooling. */
const POOLER_ENV = 'AQUIFER_TEST_POOLER';

/** Whether this run's app pools go through PgBouncer. */
export const throughPgbouncer = (): boolean => process.env[POOLER_ENV] === 'pgbouncer';

/** The pool options DB_POOLER sets, for the pools tests build themselves (as server/worker.ts does). */
export const poolerOptions = () => ({
  // PgBouncer 1.18 in transaction pooling can carry neither named statements nor startup parameters.
  preparedStatements: !throughPgbouncer(),
  transactionPooler: throughPgbouncer(),
});

export function testEnv(key: keyof typeof TEST_ENV): string {
  const value = process.env[TEST_ENV[key]];
  if (!value) throw new Error(`${TEST_ENV[key]} is not set: run the tests through jest (npm test)`);
  return value;
}

/** `url` as the app should reach it: through the run's PgBouncer when there is one. */
export function appUrl(url: string): string {
  const port = process.env[TEST_ENV.pgbouncerPort];
  if (!port) return url;
  const u = new URL(url);
  u.port = port;
  return u.toString();
}

/** The same server as `url`, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * What the global set-up tells the test files, through environment variables
 * (the only channel jest carries from global set-up into its workers).
 */
export const TEST_ENV = {
  adminUrl: 'AQUIFER_TEST_ADMIN_URL',
  templateDb: 'AQUIFER_TEST_TEMPLATE_DB',
  dataDir: 'AQUIFER_TEST_PG_DATA_DIR',
  port: 'AQUIFER_TEST_PG_PORT',
} as const;

export function testEnv(key: keyof typeof TEST_ENV): string {
  const value = process.env[TEST_ENV[key]];
  if (!value) throw new Error(`${TEST_ENV[key]} is not set: run the tests through jest (npm test)`);
  return value;
}

/** The same server as `url`, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

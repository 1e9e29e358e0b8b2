import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { reportFigures } from '../support/report';

jest.setTimeout(60_000);

const DB_MODULE = path.resolve(__dirname, '..', '..', 'dist', 'server', 'lib', 'db.js');

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('dead_worker');
});
afterAll(async () => {
  await database.drop();
});

/** A process that opens a pool like a worker's and runs one long statement, until it is killed. */
function statementRunner(appName: string, checkIntervalMs: number, sleepS: number) {
  const script = `
    const { createDatabase } = require(${JSON.stringify(DB_MODULE)});
    const logger = { warn() {}, info() {}, error() {} };
    const db = createDatabase({
      connectionString: process.env.URL, applicationName: ${JSON.stringify(appName)}, max: 1,
      acquireTimeoutMs: 5000, statementTimeoutMs: 60000, idleTimeoutMs: 10000, maxLifetimeS: 0,
      preparedStatements: false, maxQueue: 10, slowQueryMs: 0, clientCheckIntervalMs: ${checkIntervalMs}, logger,
    });
    db.exec({ text: 'SELECT pg_sleep(${sleepS})' }).catch(() => undefined);
  `;
  return spawn(process.execPath, ['-e', script], { env: { ...process.env, URL: database.url }, stdio: 'ignore' });
}

const backends = (appName: string) =>
  database.query((db) =>
    db.one<{ n: number }>({
      text: `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`,
      values: [appName],
    }),
  );

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await sleep(50);
  }
  return Infinity;
}

it('ends a killed worker’s running statement within DB_CLIENT_CHECK_INTERVAL_MS, not at its end', async () => {
  const withCheck = statementRunner('aquifer:dead-check', 250, 20);
  const without = statementRunner('aquifer:dead-nocheck', 0, 4);
  expect(await waitFor(async () => (await backends('aquifer:dead-check')).n === 1, 10_000)).toBeLessThan(10_000);
  expect(await waitFor(async () => (await backends('aquifer:dead-nocheck')).n === 1, 10_000)).toBeLessThan(10_000);
  withCheck.kill('SIGKILL');
  without.kill('SIGKILL');

  const goneWithCheckMs = await waitFor(async () => (await backends('aquifer:dead-check')).n === 0, 10_000);
  // Without the setting the backend keeps running its statement for nobody until the statement ends.
  const stillThereWithout = (await backends('aquifer:dead-nocheck')).n;
  reportFigures('dead worker backends', { goneWithCheckMs, withoutCheckStillRunning: stillThereWithout === 1 });
  expect(goneWithCheckMs).toBeLessThan(2_000);
  expect(stillThereWithout).toBe(1);
});

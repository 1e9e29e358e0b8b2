import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { holdTransaction } from '../support/held-transaction';
import { describeWithPgbouncer, pgbouncerBinary, startPgbouncer, type Pgbouncer } from '../support/pgbouncer';
import { freePort } from '../support/ports';
import { reportFigures } from '../support/report';
import { ensureStopped, spawnServer, startReadyServer, type SpawnedServer } from '../support/spawned-server';

jest.setTimeout(90_000);

/** [major, minor] of the installed PgBouncer, from `pgbouncer --version` ("PgBouncer 1.18.0"). */
function installedVersion(): [number, number] {
  const out = execFileSync(pgbouncerBinary() as string, ['--version'], { encoding: 'utf8' });
  const m = /PgBouncer (\d+)\.(\d+)/.exec(out);
  if (!m) throw new Error(`cannot read the PgBouncer version from: ${out}`);
  return [Number(m[1]), Number(m[2])];
}

/** Start-up refuses what would break the budget or the statements behind PgBouncer, and says what to set. */
describeWithPgbouncer('start-up checks behind PgBouncer', () => {
  let database: TestDatabase;
  const bouncers: Pgbouncer[] = [];
  const servers: SpawnedServer[] = [];
  // Our PgBouncer sets no max_prepared_statements: before 1.21 there is no such setting, and they pass through.
  const version = pgbouncerBinary() === null ? null : installedVersion();
  const passesThemThrough = version !== null && version[0] === 1 && version[1] < 21;

  beforeAll(async () => {
    database = await createTestDatabase('pgb_startup');
  });
  afterAll(async () => {
    for (const s of servers) await ensureStopped(s);
    for (const b of bouncers) await b.stop();
    await database?.drop();
  });

  /** A fresh PgBouncer: its server connections start with the database's settings as they are now. */
  const envThroughNewBouncer = async (extra: Record<string, string> = {}) => {
    const bouncer = await startPgbouncer({ upstreamUrl: database.directUrl, poolSize: 4 });
    bouncers.push(bouncer);
    return {
      DATABASE_URL: bouncer.pooled(database.directUrl),
      DATABASE_DIRECT_URL: database.directUrl,
      DB_POOLER: 'pgbouncer',
      DB_CONNECTION_BUDGET: '4',
      WEB_CONCURRENCY: '1',
      DB_SAMPLE_DATA: 'false',
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      ...extra,
    };
  };
  const refusal = async (env: Record<string, string>) => {
    const server = spawnServer(env);
    servers.push(server);
    const exit = await server.waitForExit(30_000);
    const fatal = server.logs.find((l) => l.level === 60);
    return { code: exit.code, message: String(fatal?.msg), listened: server.logs.some((l) => l.msg === 'listening') };
  };

  it('refuses a server without statement_timeout, whose orphaned statements would outlive the budget', async () => {
    const seen = await refusal(await envThroughNewBouncer());
    reportFigures('pgbouncer refusal: no statement_timeout', seen);
    expect(seen.code).toBe(1);
    expect(seen.message).toContain('no statement_timeout');
    expect(seen.message).toContain("ALTER ROLE <role> SET statement_timeout = '10000ms'");
    expect(seen.listened).toBe(false);
  });

  it('starts once the database bounds statements, and refuses a longer bound than DB_STATEMENT_TIMEOUT_MS', async () => {
    await database.query((db) => db.exec({ text: `ALTER DATABASE ${database.name} SET statement_timeout = '10s'` }));
    const longer = await refusal(await envThroughNewBouncer({ DB_STATEMENT_TIMEOUT_MS: '5000' }));
    expect(longer.code).toBe(1);
    expect(longer.message).toContain('(10000 ms) is longer than DB_STATEMENT_TIMEOUT_MS=5000');

    const env = await envThroughNewBouncer();
    const server = await startReadyServer(env.DATABASE_URL, Number(env.PORT), env);
    servers.push(server);
    const ready = server.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'));
    expect(ready?.msg).toContain('through PgBouncer');
  });

  it('gives up on start-up reads that PgBouncer cannot serve, instead of waiting in its queue', async () => {
    // One server connection, held in an open transaction: the start-up read waits in PgBouncer, which would wait 120 s.
    const bouncer = await startPgbouncer({ upstreamUrl: database.directUrl, poolSize: 1 });
    bouncers.push(bouncer);
    const release = await holdTransaction(bouncer.pooled(database.directUrl), 'holder', [{ text: 'SELECT 1' }]);
    try {
      const started = performance.now();
      // No DATABASE_DIRECT_URL: the facts are read through PgBouncer, as when the migrations run elsewhere.
      const seen = await refusal({
        DATABASE_URL: bouncer.pooled(database.directUrl),
        DB_POOLER: 'pgbouncer',
        DB_CONNECTION_BUDGET: '1',
        WEB_CONCURRENCY: '1',
        WORKER_SPARE: 'false',
        DB_MIGRATE: 'false',
        DB_SAMPLE_DATA: 'false',
        DB_ACQUIRE_TIMEOUT_MS: '1000',
        DB_STATEMENT_TIMEOUT_MS: '1000',
        DB_STARTUP_WAIT_MS: '3000',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
      });
      const exitMs = Math.round(performance.now() - started);
      reportFigures('pgbouncer start-up read held in its queue', { ...seen, exitMs });
      expect(seen.code).toBe(1);
      expect(seen.listened).toBe(false);
      expect(seen.message).toContain('did not answer a statement within its client-side timeout');
      // The start-up wait plus one bounded attempt (acquire + statement timeout), with room for a slow machine.
      expect(exitMs).toBeLessThan(3_000 + 2_000 + 5_000);
    } finally {
      await release();
    }
  });

  (passesThemThrough ? it : it.skip)(
    'refuses DB_PREPARED_STATEMENTS=true where PgBouncer passes named statements through',
    async () => {
      await database.query((db) => db.exec({ text: `ALTER DATABASE ${database.name} SET statement_timeout = '10s'` }));
      const seen = await refusal(await envThroughNewBouncer({ DB_PREPARED_STATEMENTS: 'true' }));
      reportFigures('pgbouncer refusal: named statements', { pgbouncer: version?.join('.'), ...seen });
      expect(seen.code).toBe(1);
      expect(seen.message).toContain('passes named statements through');
      expect(seen.message).toContain('DB_PREPARED_STATEMENTS=false');
      expect(seen.listened).toBe(false);
    },
  );
});

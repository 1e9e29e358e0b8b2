import { execFileSync } from 'node:child_process';
import { probeNamedStatements } from '../../server/lib/named-statement-probe';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { describeWithPgbouncer, pgbouncerBinary, startPgbouncer, type Pgbouncer } from '../support/pgbouncer';
import { freePort } from '../support/ports';
import { reportFigures } from '../support/report';
import { ensureStopped, spawnServer, type SpawnedServer } from '../support/spawned-server';

jest.setTimeout(60_000);

/** [major, minor] of the installed PgBouncer, from `pgbouncer --version` ("PgBouncer 1.18.0"). */
function installedVersion(): [number, number] {
  const out = execFileSync(pgbouncerBinary() as string, ['--version'], { encoding: 'utf8' });
  const m = /PgBouncer (\d+)\.(\d+)/.exec(out);
  if (!m) throw new Error(`cannot read the PgBouncer version from: ${out}`);
  return [Number(m[1]), Number(m[2])];
}

describeWithPgbouncer('named statements behind PgBouncer in transaction pooling', () => {
  let database: TestDatabase;
  const bouncers: Pgbouncer[] = [];
  let server: SpawnedServer | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('pgb_statements');
  });
  afterAll(async () => {
    await ensureStopped(server);
    for (const b of bouncers) await b.stop();
    await database?.drop();
  });

  const bouncer = async (poolSize: number) => {
    const b = await startPgbouncer({ upstreamUrl: database.directUrl, poolSize });
    bouncers.push(b);
    return b;
  };

  // Our PgBouncer sets no max_prepared_statements: before 1.21 there is no such setting, and they are lost.
  const version = pgbouncerBinary() === null ? null : installedVersion();
  const losesThem = version !== null && version[0] === 1 && version[1] < 21;

  it('the probe tells a pooler that loses them from PostgreSQL itself, and says when it cannot tell', async () => {
    const [major, minor] = version ?? [0, 0];
    const direct = await probeNamedStatements(database.directUrl, 'aquifer:probe', 5_000);
    const pooled = await probeNamedStatements((await bouncer(4)).pooled(database.directUrl), 'aquifer:probe', 5_000);
    const single = await probeNamedStatements((await bouncer(1)).pooled(database.directUrl), 'aquifer:probe', 1_000);
    reportFigures('named statement probe', { pgbouncer: `${major}.${minor}`, direct, pooled, poolOfOne: single });
    expect(direct).toBe('carried');
    if (losesThem) expect(pooled).toBe('lost');
    expect(single).toBe('inconclusive');
  });

  (losesThem ? it : it.skip)(
    'refuses to start with DB_PREPARED_STATEMENTS=true where PgBouncer would lose them',
    async () => {
      const through = await bouncer(4);
      server = spawnServer({
        DATABASE_URL: through.pooled(database.directUrl),
        DATABASE_DIRECT_URL: database.directUrl,
        DB_POOLER: 'pgbouncer',
        DB_PREPARED_STATEMENTS: 'true',
        DB_CONNECTION_BUDGET: '4',
        WEB_CONCURRENCY: '1',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
      });
      const exit = await server.waitForExit(30_000);
      expect(exit.code).toBe(1);
      const fatal = server.logs.find((l) => l.level === 60);
      expect(fatal?.msg).toContain('PgBouncer lost a named statement');
      expect(fatal?.msg).toContain('DB_PREPARED_STATEMENTS=false');
      // It failed before forking: no worker ever listened.
      expect(server.logs.some((l) => l.msg === 'listening')).toBe(false);
    },
  );
});

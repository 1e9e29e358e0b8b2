import http from 'node:http';
import { DEFAULT_SAMPLE_SIZE, loadSampleDataOnce } from '../../server/seed/sample';
import { sampleActivity, type ActivitySample } from '../support/activity';
import { issueKey } from '../support/api-keys';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startLoad, type LoadResult } from '../support/load';
import { describeWithPgbouncer, startPgbouncer, type Pgbouncer } from '../support/pgbouncer';
import { freePort } from '../support/ports';
import { reportFigures } from '../support/report';
import { ensureStopped, startReadyServer, type SpawnedServer } from '../support/spawned-server';

jest.setTimeout(180_000);

/** PgBouncer's server pool for the database: the whole deployment's budget. */
const BUDGET = 6;
const HOSTS = 2;
const LOAD_MS = 8_000;

/**
 * Two hosts (two primaries, two ports) behind one PgBouncer in transaction
 * pooling, each sized from APP_REPLICAS=2, as a multi-host deployment runs.
 */
describeWithPgbouncer('two hosts behind PgBouncer', () => {
  let database: TestDatabase;
  let bouncer: Pgbouncer | undefined;
  const servers: SpawnedServer[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('pgb_hosts');
    await database.query((db) => loadSampleDataOnce(db, { ...DEFAULT_SAMPLE_SIZE, wells: 200 }));
    // What an operator sets on the role: behind PgBouncer, only the server can bound a statement.
    await database.query((db) => db.exec({ text: `ALTER DATABASE ${database.name} SET statement_timeout = '10s'` }));
    bouncer = await startPgbouncer({ upstreamUrl: database.directUrl, poolSize: BUDGET });
  });
  afterAll(async () => {
    for (const s of servers) await ensureStopped(s);
    await bouncer?.stop();
    await database?.drop();
  });

  const startHost = async (through: Pgbouncer) => {
    const port = await freePort();
    const server = await startReadyServer(through.pooled(database.directUrl), port, {
      DB_POOLER: 'pgbouncer',
      DATABASE_DIRECT_URL: database.directUrl,
      DB_CONNECTION_BUDGET: String(BUDGET),
      APP_REPLICAS: String(HOSTS),
      WEB_CONCURRENCY: '2',
      DB_ACQUIRE_TIMEOUT_MS: '10000',
      DB_IDLE_TIMEOUT_MS: '30000',
    });
    servers.push(server);
    return { server, port };
  };

  /** Load on every host at once, with writes, while pg_stat_activity is sampled every 100 ms. */
  async function underLoad(ports: readonly number[], writeKey: string, tag: string) {
    // Every client backend on the database, from an admin connection that is itself excluded.
    const sampler = sampleActivity(database.directUrl, database.name, '%', 100);
    const loads = ports.map((port) =>
      startLoad({
        port,
        nextPath: () =>
          Math.random() < 0.5 ? '/api/v1/wells?limit=100' : `/api/v1/wells/${1 + Math.floor(Math.random() * 200)}`,
        concurrency: 12,
        durationMs: LOAD_MS,
        maxRequests: 20_000,
      }),
    );
    const created: string[] = [];
    const writeStatuses: number[] = [];
    const writes = (async () => {
      for (let i = 0; i < 30 * ports.length; i++) {
        const code = `KS-PGB-${tag}-${i}`;
        const status = await postWell(ports[i % ports.length] as number, writeKey, code);
        writeStatuses.push(status);
        if (status === 201) created.push(code);
      }
    })();
    let results: LoadResult[];
    let samples: ActivitySample[];
    try {
      results = await Promise.all(loads.map((l) => l.done));
      await writes;
    } finally {
      // Also when a write failed outright: the sampler must not run on after the test.
      samples = await sampler.stop();
    }
    const onDatabase = samples.map((s) => s.total);
    // PgBouncer's server connections over the phase. A fresh one shows an empty application_name until
    // PgBouncer links a client to it and sets the client's; in 6 local runs with its connection log on,
    // PgBouncer never closed or replaced one.
    const serverPids = new Set(samples.flatMap((s) => s.pids));
    const stored = await database.query((db) =>
      db.one<{ n: number }>({
        text: 'SELECT count(*)::int AS n FROM wells WHERE site_code = ANY($1)',
        values: [created],
      }),
    );
    const figures = {
      hosts: ports.length,
      budget: BUDGET,
      samples: samples.length,
      longestGapMs: Math.max(0, ...samples.slice(1).map((s, i) => s.at - (samples[i] as ActivitySample).at)),
      peakDatabaseConnections: Math.max(...onDatabase),
      peakByApplication: samples[onDatabase.indexOf(Math.max(...onDatabase))]?.byApp,
      serverConnectionsSeen: serverPids.size,
      okPerHost: results.map((r) => r.statuses[200] ?? 0),
      notOk: results.map((r) => ({ ...r.statuses, 200: undefined, errors: r.errors })),
      writes: writeStatuses.length,
      created: created.length,
      stored: stored.n,
    };
    reportFigures(`pgbouncer ${tag}`, figures);

    // Sampled throughout: no gap of more than a few intervals (a sample's query can take 200 ms on a busy machine).
    expect(samples.length).toBeGreaterThan(LOAD_MS / 100 / 4);
    expect(figures.longestGapMs).toBeLessThanOrEqual(500);
    expect(figures.peakDatabaseConnections).toBeGreaterThan(0);
    expect(figures.peakDatabaseConnections).toBeLessThanOrEqual(BUDGET);
    for (const r of results) {
      expect(r.errors).toEqual({});
      expect(Object.keys(r.statuses)).toEqual(['200']);
      expect(r.statuses[200]).toBeGreaterThan(50);
    }
    expect(writeStatuses.every((status) => status === 201)).toBe(true);
    expect(stored.n).toBe(created.length);
  }

  it('shares one budget across hosts, and PgBouncer holds it when a deploy adds a host', async () => {
    if (!bouncer) throw new Error('PgBouncer did not start');
    const hosts = [await startHost(bouncer), await startHost(bouncer)];
    for (const { server } of hosts) {
      const ready = server.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'));
      // floor(6 / 2 hosts) = 3 per host, over 2 workers.
      expect(ready?.msg).toContain('through PgBouncer');
      expect(ready?.msg).toContain('pools 2/1');
      expect(ready?.budget).toMatchObject({ perHost: 3 });
    }
    const writeKey = await issueKey(database, 'write');
    await underLoad(
      hosts.map((h) => h.port),
      writeKey,
      'two-hosts',
    );

    // A rolling deploy starts a third host before stopping one: 9 client connections over PgBouncer's 6.
    // The surplus waits in PgBouncer instead of reaching the database.
    hosts.push(await startHost(bouncer));
    await underLoad(
      hosts.map((h) => h.port),
      writeKey,
      'deploy-overlap',
    );
  });
});

/** One POST /api/v1/wells on a fresh loopback connection; resolves with the status. */
function postWell(port: number, key: string, siteCode: string): Promise<number> {
  const body = JSON.stringify({ site_code: siteCode, name: 'PgBouncer test well', latitude: 38.1, longitude: -99.2 });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/wells',
        method: 'POST',
        agent: false,
        timeout: 15_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${key}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('POST timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_SAMPLE_SIZE, loadSampleDataOnce } from '../../server/seed/sample';
import { sampleActivity } from '../support/activity';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startLoad } from '../support/load';
import { freePort } from '../support/ports';
import { reportFigures } from '../support/report';
import { ensureStopped, spawnServer, type SpawnedServer } from '../support/spawned-server';

jest.setTimeout(120_000);

const BUDGET = 10;
const WORKERS = 3;

let database: TestDatabase;
let server: SpawnedServer | undefined;

beforeAll(async () => {
  database = await createTestDatabase('cluster');
  await database.query((db) => loadSampleDataOnce(db, { ...DEFAULT_SAMPLE_SIZE, wells: 400 }));
});
afterEach(async () => {
  await ensureStopped(server);
  server = undefined;
});
afterAll(async () => {
  await database.drop();
});

async function startCluster(port: number, extraEnv: Record<string, string> = {}): Promise<SpawnedServer> {
  const s = spawnServer({
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    PORT: String(port),
    WEB_CONCURRENCY: String(WORKERS),
    DB_CONNECTION_BUDGET: String(BUDGET),
    DB_SAMPLE_DATA: 'false',
    DB_IDLE_TIMEOUT_MS: '30000',
    ...extraEnv,
  });
  await s.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'), 30_000);
  return s;
}

// Lists of 500 wells keep each connection busy long enough for every pool to fill.
const listPath = () => '/api/v1/wells?limit=500';
// Lighter pages, for tests about draining rather than saturation.
const pagePath = () => '/api/v1/wells?limit=20';

/** Data requests the workers logged as answered with 200 (probes are not logged). */
const servedByWorkers = (s: SpawnedServer) =>
  s.logs.filter((l) => l.msg === 'request completed' && (l.res as { status?: number } | undefined)?.status === 200)
    .length;

describe('the clustered server under load', () => {
  it('never holds more connections than the budget, and splits it 4/3/3', async () => {
    const port = await freePort();
    server = await startCluster(port);
    const summary = await server.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'), 1);
    expect(summary.budget).toMatchObject({ source: 'explicit', perHost: BUDGET, shares: [4, 3, 3] });

    const sampler = sampleActivity(database.url, database.name, 'aquifer:%');
    // 48 closed loops keep far more than 10 requests in flight throughout.
    const load = startLoad({ port, nextPath: listPath, concurrency: 48, durationMs: 20_000, maxRequests: 1_500 });
    const result = await load.done;
    const samples = await sampler.stop();

    const peak = (app: string) => Math.max(...samples.map((s) => s.byApp[app] ?? 0));
    reportFigures('budget under load', {
      requests: result.total,
      statuses: result.statuses,
      requestsPerS: Math.round((result.total * 1000) / (result.endedAt - result.startedAt)),
      samples: samples.length,
      maxConnections: Math.max(...samples.map((s) => s.total)),
      peaks: [peak('aquifer:w0'), peak('aquifer:w1'), peak('aquifer:w2')],
    });
    expect(result.statuses[200]).toBeGreaterThanOrEqual(100);
    // Overload may shed with 503 after the acquire timeout; nothing else is acceptable.
    expect(Object.keys(result.statuses).filter((s) => s !== '200' && s !== '503')).toEqual([]);
    expect(result.errors).toEqual({});
    expect(samples.length).toBeGreaterThan(20);
    const maxTotal = Math.max(...samples.map((s) => s.total));
    expect(maxTotal).toBeLessThanOrEqual(BUDGET);
    const peaks = [peak('aquifer:w0'), peak('aquifer:w1'), peak('aquifer:w2')];
    // Each worker opened its pool at its share: 4/3/3, the split the database may see at most.
    const poolSizes = server.logs.filter((l) => l.msg === 'worker ready').map((l) => [l.worker, l.poolSize]);
    expect(Object.fromEntries(poolSizes)).toEqual({ 0: 4, 1: 3, 2: 3 });
    // No worker ever held more than its share, and the pools really grew under the load. Not always
    // exactly 4/3/3: a pool opens its 4th connection only when 4 of its requests wait on the database
    // at once, which a CPU-starved worker (seen in CI) may never reach.
    peaks.forEach((p, i) => expect(p).toBeLessThanOrEqual([4, 3, 3][i] as number));
    expect(peaks.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(8);
    // The primary's start-up connection was closed before the workers opened theirs.
    expect(samples.every((s) => (s.byApp['aquifer:primary'] ?? 0) === 0)).toBe(true);
  });

  // A SIGKILLed worker's replacement and SIGTERM behind a balancer are tested more strictly (2 s, five
  // stops, writes too) in test/reliability/worker-kill.test.ts and graceful-stop.test.ts.

  it('answers every request it reads during a drain with no load balancer in front', async () => {
    const port = await freePort();
    server = await startCluster(port, { DB_ACQUIRE_TIMEOUT_MS: '15000' });
    const load = startLoad({ port, nextPath: pagePath, concurrency: 16, durationMs: 15_000, maxRequests: 50_000 });
    await sleep(1_500);
    server.child.kill('SIGTERM');
    const exit = await server.waitForExit(20_000);
    const result = await load.stop();
    reportFigures('SIGTERM under load, no balancer', {
      ok: result.statuses[200] ?? 0,
      servedByWorkers: servedByWorkers(server),
      errors: result.errors,
    });

    expect(exit).toEqual({ code: 0, signal: null });
    // Connections still queued in the listen backlog when the socket closes are reset by the kernel
    // (ECONNRESET) or refused; no request that reached a worker may get anything but a 200.
    expect(Object.keys(result.statuses)).toEqual(['200']);
    const { ECONNREFUSED: _refused, ECONNRESET: _reset, ...other } = result.errors;
    expect(other).toEqual({});
    // Every response a worker logged reached the client: the resets were connections no worker read.
    expect(servedByWorkers(server)).toBe(result.statuses[200]);
    expect(server.logs.some((l) => l.msg === 'shutdown timeout: closing remaining connections')).toBe(false);
  });
});

describe('a worker that cannot start', () => {
  it('is restarted with growing backoff, then the primary gives up and exits 1', async () => {
    // Something else already holds the port, so every worker fails to listen.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      server = spawnServer({
        DATABASE_URL: database.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        WEB_CONCURRENCY: '1',
        DB_CONNECTION_BUDGET: '2',
        DB_SAMPLE_DATA: 'false',
        WORKER_MAX_CRASHES: '4',
        WORKER_BACKOFF_BASE_MS: '100',
      });
      const exit = await server.waitForExit(30_000);
      expect(exit.code).toBe(1);
      const delays = server.logs.filter((l) => l.msg === 'worker died; restarting it').map((l) => l.backoffMs);
      expect(delays).toEqual([100, 200, 400]);
      const fatal = server.logs.find((l) => l.level === 60 && l.role === 'primary');
      expect(fatal?.msg).toMatch(/crashed 4 times within \d+ ms; giving up/);
    } finally {
      blocker.close();
    }
  });
});

import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_SAMPLE_SIZE, loadSampleDataOnce } from '../../server/seed/sample';
import { sampleActivity } from '../support/activity';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startLoad } from '../support/load';
import { freePort } from '../support/ports';
import { reportFigures } from '../support/report';
import { ensureStopped, spawnServer, type LogLine, type SpawnedServer } from '../support/spawned-server';

jest.setTimeout(120_000);

const BUDGET = 10;
const WORKERS = 3;
// Long enough for the stand-in balancer to notice readiness failing even on a busy CI machine.
const DRAIN_DELAY_MS = 5_000;

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

const isReady = (index: number) => (l: LogLine) => l.msg === 'worker ready' && l.worker === index;

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

  it('replaces a SIGKILLed worker with the same index and share within a few seconds', async () => {
    const port = await freePort();
    server = await startCluster(port);
    const before = await server.waitForLog(isReady(1), 1);
    const sampler = sampleActivity(database.url, database.name, 'aquifer:%');
    const load = startLoad({ port, nextPath: listPath, concurrency: 24, durationMs: 8_000, maxRequests: 20_000 });
    await sleep(1_000);

    const killedAt = Date.now();
    process.kill(before.workerPid as number, 'SIGKILL');
    const after = await server.waitForLog((l) => isReady(1)(l) && l.workerPid !== before.workerPid, 10_000);
    const replacedInMs = Date.now() - killedAt;

    const result = await load.done;
    const samples = await sampler.stop();
    reportFigures('worker SIGKILL', {
      replacedInMs,
      requests: result.total,
      ok: result.statuses[200] ?? 0,
      failed: result.total - (result.statuses[200] ?? 0),
      maxConnections: Math.max(...samples.map((s) => s.total)),
    });
    expect(after.poolSize).toBe(before.poolSize);
    // Boot is ~1.5 s on an idle 2-core machine and up to ~7 s seen on a loaded one.
    expect(replacedInMs).toBeLessThan(10_000);
    expect(server.logs.some((l) => l.msg === 'worker died; restarting it' && l.worker === 1)).toBe(true);
    expect(Math.max(...samples.map((s) => s.total))).toBeLessThanOrEqual(BUDGET);
    // Only requests in flight on the killed worker may fail.
    const failed = result.total - (result.statuses[200] ?? 0);
    expect(failed).toBeLessThanOrEqual(24);
    expect(result.statuses[200]).toBeGreaterThanOrEqual(50);
  });

  it('drains on SIGTERM behind a load balancer: no request fails and the process exits 0', async () => {
    const port = await freePort();
    server = await startCluster(port, {
      SHUTDOWN_DELAY_MS: String(DRAIN_DELAY_MS),
      SHUTDOWN_TIMEOUT_MS: '10000',
      // Shedding under overload is tested elsewhere; here every request must wait its turn.
      DB_ACQUIRE_TIMEOUT_MS: '15000',
    });
    const load = startLoad({ port, nextPath: pagePath, concurrency: 16, durationMs: 25_000, maxRequests: 50_000 });
    await sleep(1_500);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    // Stands in for a load balancer: it polls readiness and stops sending new requests once it fails,
    // which is what SHUTDOWN_DELAY_MS gives it time to do.
    const balancer = (async () => {
      for (const until = Date.now() + 15_000; Date.now() < until; await sleep(100)) {
        const probe = await startLoad({
          port,
          nextPath: () => '/readyz',
          concurrency: 1,
          durationMs: 1_000,
          maxRequests: 1,
        }).done;
        if (probe.statuses[200] !== 1) return Date.now();
      }
      return Date.now();
    })();
    const removedAt = await balancer;
    const result = await load.stop();
    const exit = await server.waitForExit(20_000);
    reportFigures('SIGTERM under load', {
      readinessFailedAfterMs: removedAt - signalledAt,
      exitedAfterMs: Date.now() - signalledAt,
      ok: result.statuses[200] ?? 0,
      errors: result.errors,
    });

    expect(exit).toEqual({ code: 0, signal: null });
    expect(removedAt - signalledAt).toBeLessThan(DRAIN_DELAY_MS);
    expect(result.statuses[200]).toBeGreaterThanOrEqual(20);
    expect(Object.keys(result.statuses)).toEqual(['200']);
    expect(result.errors).toEqual({});
    expect(server.logs.filter((l) => l.msg === 'worker stopped')).toHaveLength(WORKERS);
    expect(server.logs.some((l) => l.msg === 'shutdown timeout: closing remaining connections')).toBe(false);
    expect(servedByWorkers(server)).toBe(result.statuses[200]);
  });

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

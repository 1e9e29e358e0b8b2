import http from 'node:http';
import { issueKey } from '../support/api-keys';
import { parsePrometheus, samplesOf, sumOf } from '../support/prometheus-text';
import { freePort } from '../support/ports';
import { reportFigures } from '../support/report';
import { useServerFixture } from '../support/server-fixture';

jest.setTimeout(120_000);

const WORKERS = 2;
const BUDGET = 6;
const REQUESTS = 40;

const f = useServerFixture('metrics_cluster', 40);

/** GET on a fresh connection each time, so the primary spreads them over the workers. */
function get(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

it('sums every worker into one scrape, on METRICS_PORT and on GET /metrics with an admin key', async () => {
  const metricsPort = await freePort();
  const { server, port } = await f.start({
    METRICS_PORT: String(metricsPort),
    WEB_CONCURRENCY: String(WORKERS),
    DB_CONNECTION_BUDGET: String(BUDGET),
  });

  const statuses: number[] = [];
  for (let i = 0; i < REQUESTS; i++) statuses.push((await get(port, '/api/v1/wells?limit=5')).status);
  expect(statuses.every((s) => s === 200)).toBe(true);

  const scraped = await get(metricsPort, '/metrics');
  expect(scraped.status).toBe(200);
  const samples = parsePrometheus(scraped.body);
  const route = { route: 'GET /api/v1/wells', status: '200' };
  const perWorker = ['w0', 'w1'].map((worker) =>
    sumOf(samples, 'aquifer_http_request_duration_seconds_count', { ...route, worker }),
  );
  // Every request counted once, by the worker that served it; both workers served some.
  expect(perWorker.reduce((a, b) => a + b, 0)).toBe(REQUESTS);
  expect(perWorker.every((n) => n > 0)).toBe(true);
  // The pools' maxima add up to the host's budget.
  expect(
    samplesOf(samples, 'aquifer_db_pool_max')
      .map((s) => s.labels.worker)
      .sort(),
  ).toEqual(['w0', 'w1']);
  expect(sumOf(samples, 'aquifer_db_pool_max')).toBe(BUDGET);
  expect(sumOf(samples, 'aquifer_db_acquire_wait_seconds_count')).toBeGreaterThanOrEqual(REQUESTS);
  expect((await get(metricsPort, '/elsewhere')).status).toBe(404);

  // The API port: the same host-wide numbers, for an admin key only.
  expect((await get(port, '/metrics')).status).toBe(401);
  const admin = await issueKey(f.database, 'admin');
  const viaApi = await get(port, '/metrics', { Authorization: `Bearer ${admin}` });
  expect(viaApi.status).toBe(200);
  const apiSamples = parsePrometheus(viaApi.body);
  expect(sumOf(apiSamples, 'aquifer_http_request_duration_seconds_count', route)).toBe(REQUESTS);
  expect(sumOf(apiSamples, 'aquifer_db_pool_max')).toBe(BUDGET);

  // A worker that cannot answer (stopped) is left out and counted; the scrape still succeeds.
  const w1 = server.logs.find((l) => l.msg === 'worker ready' && l.worker === 1);
  process.kill(w1?.workerPid as number, 'SIGSTOP');
  let partial: { status: number; body: string };
  const startedAt = Date.now();
  try {
    partial = await get(metricsPort, '/metrics');
  } finally {
    process.kill(w1?.workerPid as number, 'SIGCONT');
  }
  const partialMs = Date.now() - startedAt;
  expect(partial.status).toBe(200);
  const partialSamples = parsePrometheus(partial.body);
  expect(sumOf(partialSamples, 'aquifer_metrics_workers_missing')).toBe(1);
  expect(samplesOf(partialSamples, 'aquifer_db_pool_max').map((s) => s.labels.worker)).toEqual(['w0']);
  expect(partialMs).toBeLessThan(4_000);
  expect(sumOf(samples, 'aquifer_metrics_workers_missing')).toBe(0);

  reportFigures('metrics summed across workers', {
    requests: REQUESTS,
    servedByW0: perWorker[0],
    servedByW1: perWorker[1],
    poolMaxSum: sumOf(samples, 'aquifer_db_pool_max'),
    scrapeWithStoppedWorkerMs: partialMs,
  });
});

it('does not wait on the spare worker while it loads: a scrape right after start-up misses no worker', async () => {
  const metricsPort = await freePort();
  const { server } = await f.start({
    METRICS_PORT: String(metricsPort),
    WEB_CONCURRENCY: String(WORKERS),
    DB_CONNECTION_BUDGET: String(BUDGET),
    WORKER_SPARE: 'true',
  });
  // The spare is forked once every worker is ready, and takes about a second to load.
  const loadingAtStart = !server.logs.some((l) => l.msg === 'spare worker loaded');
  const started = Date.now();
  const scraped = await get(metricsPort, '/metrics');
  const tookMs = Date.now() - started;
  reportFigures('scrape while the spare loads', { tookMs, loadingAtStart });
  // Asked of a loading spare, the scrape waits until it has loaded: 393–540 ms here, against 29–61 ms
  // (CI runs included) when the spare is skipped. The bound sits between, with room for a busy machine.
  expect(loadingAtStart).toBe(true);
  expect(tookMs).toBeLessThan(250);
  expect(scraped.status).toBe(200);
  expect(sumOf(parsePrometheus(scraped.body), 'aquifer_metrics_workers_missing')).toBe(0);
});

import { setTimeout as sleep } from 'node:timers/promises';
import { sampleActivity } from '../support/activity';
import { startLoad } from '../support/load';
import { reportFigures } from '../support/report';
import { useServerFixture } from '../support/server-fixture';

jest.setTimeout(120_000);

const BUDGET = 9;
const WORKERS = 3;

const f = useServerFixture('rolling_restart', 400);

it.each(['SIGUSR2', 'SIGHUP'] as const)(
  'replaces every worker on %s under load, one at a time, with no failed request and the budget held',
  async (signal) => {
    const { server, port } = await f.start({
      WEB_CONCURRENCY: String(WORKERS),
      DB_CONNECTION_BUDGET: String(BUDGET),
      DB_IDLE_TIMEOUT_MS: '30000',
    });
    const before = server.logs.filter((l) => l.msg === 'worker ready').map((l) => l.workerPid);

    const sampler = sampleActivity(f.database.url, f.database.name, 'aquifer:w%');
    const load = startLoad({
      port,
      nextPath: () => '/api/v1/wells?limit=200',
      concurrency: 24,
      durationMs: 60_000,
      maxRequests: 50_000,
    });
    await sleep(1_500);
    const signalledAt = Date.now();
    server.child.kill(signal);
    const done = await server.waitForLog((l) => l.msg === 'rolling restart done', 60_000);
    const restartMs = Date.now() - signalledAt;
    // Keep the load on a moment after, on the new workers at their full size.
    await sleep(1_500);
    const result = await load.stop();
    const samples = await sampler.stop();

    const replaced = server.logs.filter((l) => l.msg === 'rolling restart: worker replaced');
    reportFigures(`rolling restart on ${signal}`, {
      restartMs,
      requests: result.total,
      statuses: result.statuses,
      errors: result.errors,
      samples: samples.length,
      maxConnections: Math.max(...samples.map((s) => s.total)),
    });
    // Every worker replaced, in order, by a new process; back to the full split afterwards.
    expect(replaced.map((l) => l.worker)).toEqual([0, 1, 2]);
    expect(replaced.every((l) => !before.includes(l.workerPid))).toBe(true);
    expect(done.shares).toEqual({ 0: 3, 1: 3, 2: 3 });
    // Not one request failed, and the database never saw more than the budget.
    expect(result.statuses[200]).toBeGreaterThan(100);
    expect(Object.keys(result.statuses)).toEqual(['200']);
    expect(result.errors).toEqual({});
    expect(samples.length).toBeGreaterThan(20);
    expect(Math.max(...samples.map((s) => s.total))).toBeLessThanOrEqual(BUDGET);
    // No worker exit was taken for a crash.
    expect(server.logs.some((l) => l.msg === 'worker died; restarting it')).toBe(false);
  },
);

it('does not fork a second worker for an index whose crash restart was pending when the rolling restart replaced it', async () => {
  const { server: s } = await f.start({
    WEB_CONCURRENCY: '2',
    DB_CONNECTION_BUDGET: '6',
    // A long backoff: the restart of the killed worker is still pending when the signal arrives.
    WORKER_BACKOFF_BASE_MS: '4000',
  });
  const w1 = await s.waitForLog((l) => l.msg === 'worker ready' && l.worker === 1, 1);
  process.kill(w1.workerPid as number, 'SIGKILL');
  await s.waitForLog((l) => l.msg === 'worker died; restarting it', 10_000);
  s.child.kill('SIGHUP');
  const done = await s.waitForLog((l) => l.msg === 'rolling restart done', 60_000);
  expect(done.shares).toEqual({ 0: 3, 1: 3 });
  // Past the pending restart's moment: it must not have forked another w1.
  await sleep(5_000);
  const readyW1 = s.logs.filter((l) => l.msg === 'worker ready' && l.worker === 1);
  expect(readyW1).toHaveLength(2); // the first one, and its replacement from the rolling restart
  const workerPids = s.logs.filter((l) => l.msg === 'worker ready').map((l) => l.workerPid as number);
  const alive = workerPids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  expect(alive).toHaveLength(2);
});

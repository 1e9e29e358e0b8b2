import { setTimeout as sleep } from 'node:timers/promises';
import { sampleActivity } from '../support/activity';
import { startLoad } from '../support/load';
import { reportFigures } from '../support/report';
import { useServerFixture } from '../support/server-fixture';
import type { LogLine } from '../support/spawned-server';

jest.setTimeout(120_000);

const BUDGET = 9;

const f = useServerFixture('rebalance', 400);

const readyLine = (index: number, notPid?: unknown) => (l: LogLine) =>
  l.msg === 'worker ready' && l.worker === index && l.workerPid !== notPid;

it('splits a given-up worker’s share among the rest, shrinking before growing, within the budget at every sample', async () => {
  const { server, port } = await f.start({
    WEB_CONCURRENCY: '3',
    DB_CONNECTION_BUDGET: String(BUDGET),
    DB_IDLE_TIMEOUT_MS: '30000',
    WORKER_MAX_CRASHES: '2',
    WORKER_CRASH_WINDOW_MS: '60000',
    WORKER_BACKOFF_BASE_MS: '100',
  });
  const summary = await server.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'), 1);
  expect(summary.budget).toMatchObject({ perHost: BUDGET, shares: [3, 3, 3] });

  const sampler = sampleActivity(f.database.url, f.database.name, 'aquifer:w%');
  const load = startLoad({
    port,
    nextPath: () => '/api/v1/wells?limit=500',
    concurrency: 30,
    durationMs: 60_000,
    maxRequests: 20_000,
  });
  await sleep(1_500);

  // Two crashes within the window: the second gives w1 up.
  const first = await server.waitForLog(readyLine(1), 1);
  process.kill(first.workerPid as number, 'SIGKILL');
  const second = await server.waitForLog(readyLine(1, first.workerPid), 15_000);
  process.kill(second.workerPid as number, 'SIGKILL');
  const rebalanced = await server.waitForLog((l) => l.msg === 'budget rebalanced', 20_000);
  const rebalancedAt = Date.parse(rebalanced.time as string);
  expect(rebalanced.shares).toEqual({ 0: 5, 2: 4 });

  // Keep the load on a while, so the survivors can use their larger pools.
  await sleep(4_000);
  const result = await load.stop();
  const samples = await sampler.stop();
  const peakAfter = (app: string) =>
    Math.max(0, ...samples.filter((s) => s.at > rebalancedAt).map((s) => s.byApp[app] ?? 0));
  reportFigures('rebalance after a worker is given up', {
    requests: result.total,
    statuses: result.statuses,
    errors: result.errors,
    samples: samples.length,
    maxConnections: Math.max(...samples.map((s) => s.total)),
    peaksAfterRebalance: { w0: peakAfter('aquifer:w0'), w2: peakAfter('aquifer:w2') },
  });

  // The budget held at every sample, before, during and after.
  expect(samples.length).toBeGreaterThan(50);
  expect(Math.max(...samples.map((s) => s.total))).toBeLessThanOrEqual(BUDGET);
  // The survivors never went past their new sizes, nor anyone past the budget.
  expect(peakAfter('aquifer:w0')).toBeLessThanOrEqual(5);
  expect(peakAfter('aquifer:w2')).toBeLessThanOrEqual(4);
  // Whether the larger pools fill depends on how much of each request the database does (here
  // little); the shares themselves grew, as the resize lines below show.
  expect(peakAfter('aquifer:w1')).toBe(0);
  const resized = server.logs.filter((l) => l.msg === 'pool resized').map((l) => [l.role, l.from, l.poolSize]);
  expect(resized).toEqual(
    expect.arrayContaining([
      ['w0', 3, 5],
      ['w2', 3, 4],
    ]),
  );
  // Still serving: only the killed worker's requests may have failed.
  expect(result.statuses[200]).toBeGreaterThan(100);
  expect(Object.keys(result.statuses).filter((s) => s !== '200' && s !== '503')).toEqual([]);
  expect(server.logs.some((l) => l.msg === 'primary exiting')).toBe(false);
});

import { sampleActivity } from '../support/activity';
import { startLoad } from '../support/load';
import { reportFigures } from '../support/report';
import { useServerFixture } from '../support/server-fixture';
import type { LogLine } from '../support/spawned-server';

jest.setTimeout(120_000);

const BUDGET = 8;

const f = useServerFixture('worker_count', 400);

it('adds a worker on SIGTTIN and removes one on SIGTTOU, re-splitting the budget within it throughout', async () => {
  const { server: s, port } = await f.start({
    WEB_CONCURRENCY: '2',
    DB_CONNECTION_BUDGET: String(BUDGET),
    DB_IDLE_TIMEOUT_MS: '30000',
  });
  const sampler = sampleActivity(f.database.url, f.database.name, 'aquifer:w%');
  const load = startLoad({
    port,
    nextPath: () => '/api/v1/wells?limit=500',
    concurrency: 24,
    durationMs: 60_000,
    maxRequests: 50_000,
  });
  let changes = 0;
  const nextChange = async (signal: NodeJS.Signals): Promise<LogLine> => {
    const seen = changes++;
    s.child.kill(signal);
    const matches = () => s.logs.filter((l) => l.msg === 'worker count changed');
    await s.waitForLog(() => matches().length > seen, 30_000);
    return matches()[seen] as LogLine;
  };

  const added = await nextChange('SIGTTIN');
  expect(added.shares).toEqual({ 0: 3, 1: 3, 2: 2 });
  await s.waitForLog((l) => l.msg === 'worker ready' && l.worker === 2, 30_000);
  const removed = await nextChange('SIGTTOU');
  expect(removed.shares).toEqual({ 0: 4, 1: 4 });
  const last = await nextChange('SIGTTOU');
  expect(last.shares).toEqual({ 0: 8 });

  const result = await load.stop();
  const samples = await sampler.stop();
  reportFigures('worker count changes', {
    requests: result.total,
    statuses: result.statuses,
    errors: result.errors,
    samples: samples.length,
    maxConnections: Math.max(...samples.map((x) => x.total)),
    peakW0: Math.max(...samples.map((x) => x.byApp['aquifer:w0'] ?? 0)),
  });
  expect(samples.length).toBeGreaterThan(20);
  expect(Math.max(...samples.map((x) => x.total))).toBeLessThanOrEqual(BUDGET);
  // Drained, not killed: no request failed while workers came and went.
  expect(Object.keys(result.statuses)).toEqual(['200']);
  expect(result.errors).toEqual({});
  // The last worker is never removed.
  s.child.kill('SIGTTOU');
  await s.waitForLog((l) => l.msg === 'not removing the last worker; stop the server instead', 10_000);

  // Workers leave these signals to the primary: sent to a whole process group (a closed terminal
  // sends SIGHUP), they must not kill or suspend the workers.
  const worker = s.logs.filter((l) => l.msg === 'worker ready' && l.worker === 0).at(-1);
  const pid = worker?.workerPid as number;
  for (const signal of ['SIGHUP', 'SIGUSR2', 'SIGTTIN', 'SIGTTOU'] as const) process.kill(pid, signal);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(() => process.kill(pid, 0)).not.toThrow();
  expect(s.logs.some((l) => l.msg === 'worker died; restarting it')).toBe(false);
});

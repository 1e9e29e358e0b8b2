import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, workerStopTimeoutMs } from '../../config';
import { sampleActivity, type ActivitySample } from '../support/activity';
import { issueKey } from '../support/api-keys';
import { freePort } from '../support/ports';
import { startReadyBalancer } from '../support/ready-balancer';
import { reportFigures } from '../support/report';
import { useServerFixture } from '../support/server-fixture';
import { ensureStopped, startReadyServer, type LogLine, type SpawnedServer } from '../support/spawned-server';
import {
  failedRequests,
  readWriteMix,
  startedPerS,
  startTracedLoad,
  type TracedLoadResult,
} from '../support/traced-load';
import { waitFor } from '../support/wait-for';

jest.setTimeout(150_000);

const STOPS = 5;
/** The whole deployment's budget: two hosts (APP_REPLICAS=2) of two workers, 3 + 3 each. */
const BUDGET = 12;
const POLL_MS = 100;
const ENV = {
  WEB_CONCURRENCY: '2',
  APP_REPLICAS: '2',
  DB_CONNECTION_BUDGET: String(BUDGET),
  DB_IDLE_TIMEOUT_MS: '30000',
  // Readiness fails at once; serving goes on this long, so the balancer (polling every 100 ms, probes
  // slowed down by a busy machine) has taken the host out well before it stops listening.
  SHUTDOWN_DELAY_MS: '1500',
  SHUTDOWN_TIMEOUT_MS: '5000',
  // No request may fail here, so none may be shed while the other host carries everything.
  DB_ACQUIRE_TIMEOUT_MS: '15000',
};
/** How long a worker may take to drain, as our primary and pm2 allow it; the primary stops them all at once. */
const WORKER_KILL_TIMEOUT_MS = workerStopTimeoutMs(loadConfig(ENV));
/** Past this a primary is stuck: its workers' drains, in parallel, plus its own exit. */
const PRIMARY_EXIT_WITHIN_MS = WORKER_KILL_TIMEOUT_MS + 2_000;

const f = useServerFixture('graceful_stop', 400);

const problemsIn = (logs: readonly LogLine[]) =>
  logs.filter((l) =>
    /pool still had clients|pool did not end cleanly|shutdown timeout|killed after the stop timeout|second signal/.test(
      String(l.msg),
    ),
  );

it('SIGTERM behind a readiness-polling balancer, 5 times under keep-alive load: 0 failed requests, clean exits', async () => {
  const ports = [await freePort(), await freePort()];
  const start = (port: number) => startReadyServer(f.database.url, port, ENV);
  const servers: (SpawnedServer | undefined)[] = [];
  const retired: SpawnedServer[] = [];
  try {
    for (const port of ports) servers.push(await start(port));
    const writeKey = await issueKey(f.database, 'write');
    const balancer = await startReadyBalancer(ports, { pollMs: POLL_MS });
    await waitFor(() => ports.every((p) => balancer.isReady(p)), 10_000).catch(async (err: unknown) => {
      await balancer.close();
      throw err;
    });
    // Nothing awaited between starting these and the try that stops them, so no failure leaves them running.
    const sampler = sampleActivity(f.database.url, f.database.name, 'aquifer:%', 100);
    const load = startTracedLoad({
      port: balancer.port,
      nextRequest: readWriteMix(writeKey, 400, 'TERM'),
      // Enough loops that the rate, not the answers' latency, sets the pace (12 reached 180/s beside
      // another test; 32 did not help there, so this file runs alone: jest.config.js RUN_ALONE).
      concurrency: 32,
      // "A few hundred requests/s", reads and writes, through the balancer.
      ratePerS: 250,
      durationMs: 120_000,
      maxRequests: 100_000,
      keepAlive: true,
      idPrefix: 'term',
    });
    interface Stop {
      host: number;
      removedAfterMs: number;
      exitMs: number;
      code: number | null;
      backInMs?: number;
    }
    const stops: Stop[] = [];
    let result: TracedLoadResult;
    let samples: ActivitySample[];
    try {
      await sleep(1_000);
      for (let i = 0; i < STOPS; i++) {
        const host = i % 2;
        const victim = servers[host] as SpawnedServer;
        const port = ports[host] as number;
        const signalledAt = Date.now();
        victim.child.kill('SIGTERM');
        const exit = await victim.waitForExit(PRIMARY_EXIT_WITHIN_MS + 5_000);
        const removed = balancer.transitions.find((t) => t.backend === port && !t.ready && t.at >= signalledAt);
        const stop: Stop = {
          host,
          removedAfterMs: removed ? removed.at - signalledAt : -1,
          exitMs: Date.now() - signalledAt,
          code: exit.code,
        };
        stops.push(stop);
        retired.push(victim);
        servers[host] = undefined;
        // Back in the balancer before the other host goes (after the last stop there is no other to go).
        if (i === STOPS - 1) break;
        servers[host] = await start(port);
        await waitFor(() => balancer.isReady(port), 15_000);
        stop.backInMs = Date.now() - signalledAt;
        // A moment of load on both again before the next stop.
        await sleep(500);
      }
    } finally {
      // Load first: a closed balancer would fail the requests still under way.
      result = await load.stop();
      samples = await sampler.stop();
      await balancer.close();
    }
    const failed = failedRequests(result, [200, 201]);
    const workerDrains = retired.flatMap((s) =>
      s.logs
        .filter((l) => l.msg === 'draining')
        .map((d) => {
          const stopped = s.logs.find((l) => l.msg === 'worker stopped' && l.pid === d.pid);
          return stopped ? Date.parse(stopped.time as string) - Date.parse(d.time as string) : Infinity;
        }),
    );
    const requestsPerS = startedPerS(result);
    reportFigures('SIGTERM behind a balancer, 5 stops', {
      stops,
      workerDrainMs: { max: Math.max(...workerDrains), killTimeoutMs: WORKER_KILL_TIMEOUT_MS },
      requests: result.requests.length,
      requestsPerS,
      statuses: result.statuses,
      errors: result.errors,
      failed: failed.slice(0, 5),
      balancerDropped: balancer.dropped,
      placed: balancer.placed,
      samples: samples.length,
      maxConnections: Math.max(...samples.map((s) => s.total)),
    });

    expect(stops).toHaveLength(STOPS);
    for (const stop of stops) {
      expect(stop.code).toBe(0);
      expect(stop.exitMs).toBeLessThan(PRIMARY_EXIT_WITHIN_MS);
      // The balancer saw readiness fail while the host was still serving.
      expect(stop.removedAfterMs).toBeGreaterThanOrEqual(0);
      expect(stop.removedAfterMs).toBeLessThan(Number(ENV.SHUTDOWN_DELAY_MS));
    }
    // Every worker of every stopped host drained and stopped by itself, well within its kill timeout.
    expect(workerDrains).toHaveLength(STOPS * 2);
    for (const ms of workerDrains) expect(ms).toBeLessThan(WORKER_KILL_TIMEOUT_MS);
    for (const s of retired) {
      expect(s.logs.filter((l) => l.msg === 'worker stopped')).toHaveLength(2);
      expect(problemsIn(s.logs)).toEqual([]);
    }
    // Not one request failed, across all five stops and restarts.
    expect(failed).toEqual([]);
    expect(balancer.dropped).toBe(0);
    expect(requestsPerS).toBeGreaterThanOrEqual(200);
    expect(result.statuses[200]).toBeGreaterThan(500);
    expect(result.statuses[201]).toBeGreaterThan(100);
    expect(samples.length).toBeGreaterThan(100);
    expect(Math.max(...samples.map((s) => s.total))).toBeLessThanOrEqual(BUDGET);
  } finally {
    for (const s of [...servers, ...retired]) await ensureStopped(s);
  }
});

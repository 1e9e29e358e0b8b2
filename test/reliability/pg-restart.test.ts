import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_TIMEOUT_MARGIN_MS, crashLines, readyWorkerPids, useFaultServer } from '../support/fault-server';
import type { RequestRecord } from '../support/request-once';
import {
  acknowledgedWrites,
  answeredAt,
  badFailures,
  epochMs,
  outcomes,
  problemTypes,
  recoveryAfter,
  succeeded,
  withoutAccessLine,
  workerViews,
} from '../support/request-outcomes';
import { reportFigures } from '../support/report';

jest.setTimeout(90_000);

const ACQUIRE_TIMEOUT_MS = 1_000;
const READINESS_TIMEOUT_MS = 500;
const STATEMENT_TIMEOUT_MS = 3_000;
/** The longest a request may take while the database is away: one acquire plus one statement's client timeout. */
const REQUEST_LIMIT_MS = ACQUIRE_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + CLIENT_TIMEOUT_MARGIN_MS;
/** Allowance for the readiness poll interval and two busy cores, on top of each bound below. */
const SLACK_MS = 700;
/**
 * The client's own limit: far past the bound, so a hang shows as a long request. The bound
 * itself is checked on the worker's clock, since a request can wait seconds in the accept
 * queue of a machine whose two cores are shared with other tests.
 */
const CLIENT_TIMEOUT_MS = 20_000;
const READY_POLL_MS = 100;
const PROBE_SOCKETS = 4;
const DOWN_FOR_MS = 3_000;
const RECOVERY_LIMIT_MS = 5_000;
/** Share of requests after recovery that may still fail (503 problem+json only): a stalled core sheds a few. */
const RELAPSE_SHARE = 0.05;

const f = useFaultServer('pg-restart', {
  acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
  statementTimeoutMs: STATEMENT_TIMEOUT_MS,
  env: { READINESS_TIMEOUT_MS: String(READINESS_TIMEOUT_MS) },
  maxRequests: 10_000,
  requestTimeoutMs: CLIENT_TIMEOUT_MS,
});

interface Probe {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status: number | string;
}

/**
 * Polls GET /readyz every READY_POLL_MS on each of PROBE_SOCKETS kept-alive connections.
 * Kept alive because a new connection waits in the primary's accept queue, which on two
 * shared cores under this load can add a second or more to every probe and blur the
 * moment measured; an open socket goes straight to the worker that holds it (the
 * cluster's round robin spreads the sockets over the workers).
 */
function pollReadiness(): { stop(): Promise<Probe[]> } {
  const probes: Probe[] = [];
  let running = true;
  const agents = Array.from({ length: PROBE_SOCKETS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const once = (agent: http.Agent) =>
    new Promise<void>((resolve) => {
      const startedAt = performance.now();
      const record = (status: number | string) =>
        resolve(void probes.push({ startedAt, endedAt: performance.now(), status }));
      const req = http.get({ host: '127.0.0.1', port: f.port, path: '/readyz', agent, timeout: 3_000 }, (res) => {
        res.resume();
        res.on('end', () => record(res.statusCode ?? 0));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.on('error', (err: NodeJS.ErrnoException) => record(err.code ?? 'error'));
    });
  const loop = (async () => {
    while (running) await Promise.all([...agents.map(once), sleep(READY_POLL_MS)]);
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      for (const agent of agents) agent.destroy();
      return probes.sort((a, b) => a.startedAt - b.startedAt);
    },
  };
}

/**
 * How long after `from` /readyz answered 503 for good: the earliest answer from which every
 * answer up to `until` was 503 (Infinity: none). Answer times, not send times, so this is an
 * upper bound on the moment (by a probe's latency; reported beside it).
 */
function msUntilAllUnready(probes: readonly Probe[], from: number, until: number): number {
  const answered = probes.filter((p) => p.endedAt >= from && p.endedAt < until).sort((a, b) => a.endedAt - b.endedAt);
  const lastReady = answered.reduce((i, p, at) => (p.status === 503 ? i : at), -1);
  const first503 = answered[lastReady + 1];
  return first503 === undefined ? Infinity : first503.endedAt - from;
}

const probeLatency = (probes: readonly Probe[]) => {
  const ms = probes.map((p) => p.endedAt - p.startedAt).sort((a, b) => a - b);
  return { median: Math.round(ms[Math.floor(ms.length / 2)] ?? NaN), max: Math.round(ms.at(-1) ?? NaN) };
};

describe.each(['fast', 'immediate'] as const)('PostgreSQL %s shutdown under load', (mode) => {
  it('turns /readyz 503 quickly, answers only 503 problem+json meanwhile, recovers within 5 s, keeps every 201', async () => {
    const probes = pollReadiness();
    const load = f.startLoad(30_000, `restart-${mode}`);
    let stopAt: number, stoppedAt: number, startAt: number, backAt: number;
    let records: readonly RequestRecord[];
    let readiness: Probe[];
    try {
      await sleep(2_000);
      stopAt = performance.now();
      await f.pg.stop(mode);
      stoppedAt = performance.now();
      await sleep(DOWN_FOR_MS);
      startAt = performance.now();
      await f.pg.start();
      backAt = performance.now();
      await sleep(RECOVERY_LIMIT_MS + 1_500);
    } finally {
      // Also when stopping or starting PostgreSQL failed: neither loop may run on after the test.
      records = await load.stop();
      readiness = await probes.stop();
    }
    // Access lines are written as responses finish and read from a pipe: let the last ones arrive.
    await sleep(300);

    const bad = badFailures(records);
    const logs = f.server.logs;
    const views = workerViews(logs);
    // By when answered, not when sent: under load a request can wait in the accept queue past the stop.
    const beforeStop = records.filter((r) => r.endedAt < stopAt);
    const answered = (r: RequestRecord) => answeredAt(r, views);
    const outage = records.filter((r) => answered(r) >= epochMs(stoppedAt) && answered(r) < epochMs(startAt));
    const readyDownMs = msUntilAllUnready(readiness, stopAt, startAt);
    // Probes sent once the database was certainly gone, and answered before it came back.
    const probesWhileDown = readiness.filter((p) => p.startedAt >= stoppedAt && p.endedAt < startAt);
    const recovery = recoveryAfter(records, views, epochMs(backAt));
    const workerMs = records.map((r) => views.get(r.requestId ?? '')?.ms ?? 0);
    const unseen = withoutAccessLine(records, views);
    const writes = acknowledgedWrites(records);
    const found = await f.pg.query((db) =>
      db.one<{ n: number }>({
        text: `SELECT count(*)::int AS n FROM wells
               JOIN unnest($1::bigint[], $2::text[]) AS acked (id, site_code) USING (id, site_code)`,
        values: [writes.map((w) => w.id), writes.map((w) => w.siteCode)],
      }),
    );
    reportFigures(`pg restart (${mode})`, {
      requests: records.length,
      ratePerS: Math.round((records.length / ((records.at(-1)?.startedAt ?? 0) - (records[0]?.startedAt ?? 0))) * 1000),
      beforeStop: outcomes(beforeStop),
      outage: outcomes(outage),
      outageProblems: problemTypes(outage),
      stopMs: Math.round(stoppedAt - stopAt),
      startMs: Math.round(backAt - startAt),
      readyz503AfterStopMs: Math.round(readyDownMs),
      readyzProbeMs: probeLatency(readiness),
      readyzWhileDown: outcomes(
        probesWhileDown.map((p) => ({
          kind: 'probe',
          startedAt: p.startedAt,
          endedAt: p.endedAt,
          ...(typeof p.status === 'number' ? { status: p.status } : { error: p.status }),
        })),
      ),
      recoveryAfterDbBackMs: Math.round(recovery.ms),
      afterRecovery: outcomes(recovery.settled),
      slowestWorkerMs: Math.max(...workerMs),
      slowestClientMs: Math.round(Math.max(...records.map((r) => r.endedAt - r.startedAt))),
      withoutAccessLine: unseen.length,
      acknowledgedWrites: writes.length,
      writesFound: found.n,
      bad: bad.length,
      skipped: load.skipped(),
    });

    // The load was running (≥ 25 requests/s answered, whatever else the two cores are doing) and all went well.
    expect(beforeStop.length).toBeGreaterThan(50);
    expect(beforeStop.every(succeeded)).toBe(true);
    // Down within one readiness check plus the acquire timeout (with the poll interval and scheduling as slack).
    expect(readyDownMs).toBeLessThanOrEqual(READINESS_TIMEOUT_MS + ACQUIRE_TIMEOUT_MS + SLACK_MS);
    // And it stays 503 while the database is away: a ping the database refused is not a busy pool.
    expect(probesWhileDown.length).toBeGreaterThan(10);
    expect(probesWhileDown.filter((p) => p.status !== 503)).toEqual([]);
    expect(outage.filter((r) => r.status === 503).length).toBeGreaterThan(0);
    expect(bad.map((r) => ({ kind: r.kind, status: r.status, error: r.error }))).toEqual([]);
    // Never a hang: each answer within one acquire wait plus one statement's client-side timeout.
    expect(unseen.map((r) => r.error ?? r.status)).toEqual([]);
    expect(Math.max(...workerMs)).toBeLessThanOrEqual(REQUEST_LIMIT_MS + SLACK_MS);
    expect(recovery.ms).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
    // Failures after the first all-good window: stall-induced sheds on a busy machine, or a recovery that did not hold.
    expect(recovery.relapses.length).toBeLessThan(recovery.settled.length * RELAPSE_SHARE);
    expect(writes.length).toBeGreaterThan(100);
    expect(found.n).toBe(writes.length);
    expect(crashLines(logs)).toEqual([]);
    expect(readyWorkerPids(logs)).toEqual(f.workerPids);
    for (const pid of f.workerPids) expect(() => process.kill(pid, 0)).not.toThrow();
  });
});

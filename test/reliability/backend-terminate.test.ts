import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_TIMEOUT_MARGIN_MS, crashLines, readyWorkerPids, useFaultServer } from '../support/fault-server';
import { holdEveryConnection } from '../support/hold-connections';
import { parsePrometheus, samplesOf } from '../support/prometheus-text';
import { badFailures, outcomes, problemTypes, withoutAccessLine, workerViews } from '../support/request-outcomes';
import { reportFigures } from '../support/report';
import { waitFor } from '../support/wait-for';

jest.setTimeout(100_000);

const ACQUIRE_TIMEOUT_MS = 1_000;
/** Long enough for the full-size check below to see every PATCH still blocked on the lock. */
const STATEMENT_TIMEOUT_MS = 8_000;
/** One acquire wait plus one statement's client-side timeout (statement_timeout + 2 s), plus 1 s of slack; on the worker's clock. */
const REQUEST_LIMIT_MS = ACQUIRE_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + CLIENT_TIMEOUT_MARGIN_MS + 1_000;
const ROUNDS = 30;
const ROUND_MS = 1_000;
/** The client's own limit is far past the bound: a hang shows as a long request, not a cut-off. */
const CLIENT_TIMEOUT_MS = 30_000;

// The well the full-size check locks is never read or written by the load.
const f = useFaultServer('terminate', {
  acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
  statementTimeoutMs: STATEMENT_TIMEOUT_MS,
  // Idle connections stay open, so the kills keep finding pooled connections to break.
  env: { DB_IDLE_TIMEOUT_MS: '60000' },
  metrics: true,
  maxRequests: 12_000,
  requestTimeoutMs: CLIENT_TIMEOUT_MS,
  reserveWell: true,
});

/** Each worker's pool gauges, from the primary's metrics listener. */
async function poolGauges(): Promise<Record<string, Record<string, number>>> {
  const samples = parsePrometheus(
    await (await fetch(`http://127.0.0.1:${f.metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) })).text(),
  );
  const byWorker: Record<string, Record<string, number>> = {};
  for (const gauge of ['max', 'open', 'in_use', 'idle', 'waiting']) {
    for (const s of samplesOf(samples, `aquifer_db_pool_${gauge}`)) {
      (byWorker[s.labels.worker ?? '?'] ??= {})[gauge] = s.value;
    }
  }
  return byWorker;
}

it('survives pg_terminate_backend on every aquifer backend each second for 30 s, and its pools serve at full size after', async () => {
  const shares = f.shares;
  expect(Object.values(shares)).toEqual([3, 3]);

  const running = f.startLoad((ROUNDS + 3) * ROUND_MS, 'terminate');
  await sleep(1_000);
  const killed: number[] = [];
  const roundsFrom = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    killed.push(await f.pg.terminate('aquifer:%'));
    // On the second's schedule, so a slow round does not stretch the 30 s.
    await sleep(Math.max(0, roundsFrom + (round + 1) * ROUND_MS - performance.now()));
  }
  const records = await running.stop();
  const bad = badFailures(records);

  // No slot leaked to a request that is gone: with the load over, nothing is checked out or waiting.
  let gauges = await poolGauges();
  await waitFor(async () => {
    gauges = await poolGauges();
    return Object.values(gauges).every((g) => g.in_use === 0 && g.waiting === 0);
  }, 3_000).catch(() => undefined);

  // Full size: every worker can again hold its whole share at once (each connection blocked on a locked row).
  const release = await f.pg.lockWell(f.reservedWellId);
  const held = await holdEveryConnection({
    port: f.port,
    key: f.writeKey,
    wellId: f.reservedWellId,
    shares,
    blocked: () => f.pg.blockedOnLocks('aquifer:w%'),
    requestTimeoutMs: CLIENT_TIMEOUT_MS,
    withinMs: 6_000,
  });
  await release();
  const patches = await held.requests;
  const logs = f.server.logs;
  const views = workerViews(logs);
  const workerMs = records.map((r) => views.get(r.requestId ?? '')?.ms ?? 0);

  reportFigures('backend terminate', {
    rounds: killed.length,
    backendsKilled: killed.reduce((a, b) => a + b, 0),
    killedPerRound: { min: Math.min(...killed), max: Math.max(...killed) },
    requests: records.length,
    outcomes: outcomes(records),
    problems: problemTypes(records),
    bad: bad.length,
    slowestWorkerMs: Math.max(...workerMs),
    slowestClientMs: Math.round(Math.max(...records.map((r) => r.endedAt - r.startedAt))),
    skipped: running.skipped(),
    poolsAfter: gauges,
    fullSizeHeld: held.blocked,
    fullSizeMs: Math.round(held.ms),
    patches: outcomes(patches),
    lostConnectionWarnings: logs.filter((l) => /database connection lost/.test(l.msg ?? '')).length,
  });

  expect(killed.length).toBe(ROUNDS);
  // The fault was real (backends killed in most rounds) and hit a steady load (≥ 100 requests/s answered).
  expect(killed.filter((n) => n > 0).length).toBeGreaterThan(ROUNDS / 2);
  expect(records.length).toBeGreaterThan(ROUNDS * 100);
  expect(bad.map((r) => ({ kind: r.kind, status: r.status, error: r.error, problem: r.problem }))).toEqual([]);
  // No request hangs waiting for a connection that is gone.
  expect(withoutAccessLine(records, views).map((r) => r.error ?? r.status)).toEqual([]);
  expect(Math.max(...workerMs)).toBeLessThanOrEqual(REQUEST_LIMIT_MS);
  expect(crashLines(logs)).toEqual([]);
  expect(readyWorkerPids(logs)).toEqual(f.workerPids);
  expect(Object.keys(gauges).sort()).toEqual(['w0', 'w1']);
  for (const g of Object.values(gauges)) expect(g).toMatchObject({ in_use: 0, waiting: 0, max: 3 });
  expect(held.full).toBe(true);
  expect(held.blocked).toEqual(shares);
  // The held PATCHes went through once the lock went; an extra one got a freed connection (200) or none (503).
  expect(patches.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(6);
  expect(badFailures(patches)).toEqual([]);
});

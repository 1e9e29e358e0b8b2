import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_TIMEOUT_MARGIN_MS, crashLines, readyWorkerPids, useFaultServer } from '../support/fault-server';
import { requestOnce, type RequestRecord } from '../support/request-once';
import {
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
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

const ACQUIRE_TIMEOUT_MS = 1_000;
const STATEMENT_TIMEOUT_MS = 3_000;
/**
 * A frozen server enforces no statement_timeout, so the client's query timeout ends a stuck
 * statement: one acquire wait plus that, measured on the worker's clock (arrival to answer;
 * the client's view adds accept-queue waits on two shared cores). The slack covers timers
 * firing late on those cores.
 */
const SLACK_MS = 1_500;
const REQUEST_BOUND_MS = ACQUIRE_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + CLIENT_TIMEOUT_MARGIN_MS + SLACK_MS;
const FROZEN_FOR_MS = 10_000;
/**
 * The recovery target for a restarted database; a thawed one needs no restart and
 * keeps its connections, so it must come back at least as fast.
 */
const RECOVERY_LIMIT_MS = 5_000;
/** Share of requests after recovery that may still fail (503 problem+json only): a stalled core sheds a few. */
const RELAPSE_SHARE = 0.05;

// The client's own limit is far past the bound: a hang shows as a long request, not a cut-off.
const f = useFaultServer('freeze', {
  acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
  statementTimeoutMs: STATEMENT_TIMEOUT_MS,
  env: { READINESS_TIMEOUT_MS: '500' },
  maxRequests: 12_000,
  requestTimeoutMs: 20_000,
  reserveWell: true,
});

it('answers every request during a 10 s freeze with a bounded 503, none hanging, and recovers after SIGCONT', async () => {
  const running = f.startLoad(60_000, 'freeze');
  let freezeAt: number, frozenAt: number, thawAt: number, frozenProcesses: number;
  let blockedAtFreeze: RequestRecord;
  let records: readonly RequestRecord[];
  let releaseLock: (() => Promise<void>) | undefined;
  try {
    await sleep(2_000);
    // A statement certainly under way at the freeze: a PATCH blocked on a row this test holds locked.
    // Whether the load has one in flight at that instant is chance: in 3 of 17 CI runs none was held by it.
    releaseLock = await f.pg.lockWell(f.reservedWellId);
    const underWay = requestOnce(
      f.port,
      {
        kind: 'patch',
        method: 'PATCH',
        path: `/api/v1/wells/${f.reservedWellId}`,
        body: { name: 'frozen' },
        key: f.writeKey,
      },
      20_000,
    );
    await waitFor(async () => Object.keys(await f.pg.blockedOnLocks('aquifer:w%')).length > 0, 5_000);
    freezeAt = performance.now();
    frozenProcesses = await f.pg.freeze();
    frozenAt = performance.now();
    await sleep(FROZEN_FOR_MS);
    thawAt = performance.now();
    await f.pg.thaw();
    blockedAtFreeze = await underWay;
    // Stopping waits for every request still under way, so all sent while frozen are in.
    await sleep(RECOVERY_LIMIT_MS + 1_500);
  } finally {
    // Also when a step above failed: the load may not run on, nor the database stay frozen or locked.
    records = await running.stop();
    await f.pg.thaw();
    await releaseLock?.();
  }
  // Access lines are written as responses finish and read from a pipe: let the last ones arrive.
  await sleep(300);
  const logs = f.server.logs;
  const views = workerViews(logs);
  const workerMs = (rs: readonly RequestRecord[]) =>
    Math.max(0, ...rs.map((r) => views.get(r.requestId ?? '')?.ms ?? 0));
  const answered = (r: RequestRecord) => answeredAt(r, views);

  const duringFreeze = records.filter((r) => r.startedAt >= freezeAt && r.startedAt < thawAt);
  // Between freeze and thaw nothing can read the database: each answer then must be a 503
  // (past a moment's grace for answers whose statement ended just before the freeze).
  const answeredFrozen = records.filter((r) => answered(r) >= epochMs(freezeAt) + 200 && answered(r) < epochMs(thawAt));
  const inFlightAtFreeze = [blockedAtFreeze, ...records.filter((r) => r.startedAt < freezeAt && r.endedAt >= freezeAt)];
  const recovery = recoveryAfter(records, views, epochMs(thawAt));
  reportFigures('db freeze', {
    frozenProcesses,
    frozenMs: Math.round(thawAt - freezeAt),
    freezeCallMs: Math.round(frozenAt - freezeAt),
    requests: records.length,
    beforeFreeze: outcomes(records.filter((r) => r.endedAt < freezeAt)),
    sentWhileFrozen: outcomes(duringFreeze),
    problemsWhileFrozen: problemTypes(duringFreeze),
    answeredWhileFrozen: outcomes(answeredFrozen),
    slowestWorkerMsSentWhileFrozen: workerMs(duringFreeze),
    inFlightAtFreeze: inFlightAtFreeze.length,
    slowestWorkerMsInFlightAtFreeze: workerMs(inFlightAtFreeze),
    blockedAtFreeze: {
      status: blockedAtFreeze.status ?? blockedAtFreeze.error,
      problem: blockedAtFreeze.problem?.type,
      workerMs: views.get(blockedAtFreeze.requestId ?? '')?.ms ?? null,
    },
    slowestClientMs: Math.round(Math.max(...records.map((r) => r.endedAt - r.startedAt))),
    boundMs: REQUEST_BOUND_MS,
    recoveryAfterThawMs: Math.round(recovery.ms),
    afterThaw: outcomes(records.filter((r) => r.startedAt >= thawAt)),
    afterRecovery: outcomes(recovery.settled),
    bad: badFailures(records).length,
    skipped: running.skipped(),
  });

  expect(frozenProcesses).toBeGreaterThan(3);
  expect(records.filter((r) => r.endedAt < freezeAt).every(succeeded)).toBe(true);
  expect(duringFreeze.length).toBeGreaterThan(FROZEN_FOR_MS / 10);
  expect(answeredFrozen.length).toBeGreaterThan(0);
  expect(answeredFrozen.filter((r) => r.status !== 503)).toEqual([]);
  // Nothing hangs: every request ends within one acquire wait plus one client-side statement timeout.
  expect(workerMs(duringFreeze)).toBeLessThanOrEqual(REQUEST_BOUND_MS);
  expect(workerMs(inFlightAtFreeze)).toBeLessThanOrEqual(REQUEST_BOUND_MS);
  // The statement blocked when the database froze: its worker logged it (so the bound above judged it),
  // and the client-side statement timeout ended it with a problem+json 503.
  expect(views.has(blockedAtFreeze.requestId ?? '')).toBe(true);
  expect({ status: blockedAtFreeze.status, problem: blockedAtFreeze.problem?.ok }).toEqual({
    status: 503,
    problem: true,
  });
  expect(withoutAccessLine(records, views).map((r) => r.error ?? r.status)).toEqual([]);
  expect(badFailures(records).map((r) => ({ kind: r.kind, status: r.status, error: r.error }))).toEqual([]);
  expect(recovery.ms).toBeLessThanOrEqual(RECOVERY_LIMIT_MS);
  // Failures after the first all-good window: stall-induced sheds on a busy machine, or a recovery that did not hold.
  expect(recovery.relapses.length).toBeLessThan(recovery.settled.length * RELAPSE_SHARE);
  expect(recovery.settled.filter(succeeded).length).toBeGreaterThan(200);
  expect(crashLines(logs)).toEqual([]);
  expect(readyWorkerPids(logs)).toEqual(f.workerPids);
});

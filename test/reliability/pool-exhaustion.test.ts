import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { useFaultServer } from '../support/fault-server';
import { holdEveryConnection } from '../support/hold-connections';
import type { RequestRecord } from '../support/request-once';
import {
  badFailures,
  epochMs,
  outcomes,
  problemTypes,
  recoveryMs,
  succeeded,
  withoutAccessLine,
  workerViews,
} from '../support/request-outcomes';
import { reportFigures } from '../support/report';

jest.setTimeout(90_000);

const ACQUIRE_TIMEOUT_MS = 1_000;
/** The bound on a 503 for want of a connection: the acquire timeout +10%. */
const ANSWER_BOUND_MS = ACQUIRE_TIMEOUT_MS * 1.1;
/**
 * Requests are judged on the worker's clock (its access line: arrival and response time):
 * on two shared cores the client's view adds seconds of connect and accept-queue wait that
 * no server setting controls. This margin keeps requests that arrived near the release out
 * of the judged set, and is the slack on how soon service must return after it.
 */
const MARGIN_MS = 1_000;
/** Longer than filling plus the hold, so the held UPDATEs wait for the lock instead of being cancelled. */
const STATEMENT_TIMEOUT_MS = 60_000;
const EXHAUSTED_FOR_MS = 4_000;

// The locked well is never read or written by the load.
const f = useFaultServer('exhaustion', {
  acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
  statementTimeoutMs: STATEMENT_TIMEOUT_MS,
  maxRequests: 12_000,
  requestTimeoutMs: 20_000,
  reserveWell: true,
});

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

it('answers 503 + Retry-After within the acquire timeout +10% while slow work holds every connection, then recovers', async () => {
  const shares = f.shares;
  expect(Object.values(shares)).toEqual([3, 3]);

  const running = f.startLoad(60_000, 'exhaustion');
  await sleep(2_000);
  const release = await f.pg.lockWell(f.reservedWellId);
  const held = await holdEveryConnection({
    port: f.port,
    key: f.writeKey,
    wellId: f.reservedWellId,
    shares,
    blocked: () => f.pg.blockedOnLocks('aquifer:w%'),
    requestTimeoutMs: STATEMENT_TIMEOUT_MS,
    withinMs: 15_000,
  });
  const fullAt = performance.now();
  await sleep(EXHAUSTED_FOR_MS);
  const stillBlocked = await f.pg.blockedOnLocks('aquifer:w%');
  const releaseAt = performance.now();
  await release();
  const patches = await held.requests;
  await sleep(3_000);
  const records = await running.stop();
  // Access lines are written as responses finish and read from a pipe: let the last ones arrive.
  await sleep(500);

  const views = workerViews(f.server.logs);
  const view = (r: RequestRecord) => views.get(r.requestId ?? '');
  // New requests: arrived once every connection was held, early enough that their answer was due before the release.
  const fresh = records.filter((r) => {
    const at = view(r)?.arrivedAt;
    return at !== undefined && at >= epochMs(fullAt) && at < epochMs(releaseAt) - ANSWER_BOUND_MS - MARGIN_MS;
  });
  const workerMs = (rs: readonly RequestRecord[]) => rs.map((r) => view(r)?.ms ?? Infinity);
  const shed = workerMs(fresh.filter((r) => r.problem?.type === 'urn:aquifer:problem:queue-full'));
  const waited = workerMs(fresh.filter((r) => r.problem?.type === 'urn:aquifer:problem:database-busy'));
  const clientMs = fresh.map((r) => r.endedAt - r.startedAt);
  const recoveredMs = recoveryMs(records, views, epochMs(releaseAt));
  const unseen = withoutAccessLine(records, views);

  reportFigures('pool exhaustion', {
    fillMs: Math.round(held.ms),
    held: held.blocked,
    stillBlockedAtRelease: stillBlocked,
    newRequests: fresh.length,
    outcomes: outcomes(fresh),
    problems: problemTypes(fresh),
    shedAtOnce: { n: shed.length, workerMedianMs: median(shed), workerMaxMs: Math.max(0, ...shed) },
    waited: {
      n: waited.length,
      workerMinMs: waited.length ? Math.min(...waited) : null,
      workerMaxMs: Math.max(0, ...waited),
    },
    clientMedianMs: Math.round(median(clientMs)),
    clientMaxMs: Math.round(Math.max(0, ...clientMs)),
    withoutAccessLine: unseen.length,
    patches: outcomes(patches),
    recoveryAfterReleaseMs: Math.round(recoveredMs),
    afterRelease: outcomes(records.filter((r) => r.startedAt >= releaseAt)),
    skipped: running.skipped(),
  });

  expect(held.full).toBe(true);
  // Still all held when released: the slow work outlasted the window (no statement was cancelled).
  expect(stillBlocked).toEqual(shares);
  expect(fresh.length).toBeGreaterThan(200);
  for (const r of fresh) {
    expect({ status: r.status, problem: r.problem?.ok }).toEqual({ status: 503, problem: true });
    expect(r.problem?.retryAfter).toMatch(/^\d+$/);
  }
  // Every one in time: in the worker, within the acquire timeout +10%; a waiter no sooner than -10%.
  expect(Math.max(...workerMs(fresh))).toBeLessThanOrEqual(ANSWER_BOUND_MS);
  // The queue refills as each waiter times out, so some always wait; the -10% check needs at least one.
  expect(waited.length).toBeGreaterThan(0);
  expect(Math.min(...waited)).toBeGreaterThanOrEqual(ACQUIRE_TIMEOUT_MS * 0.9);
  expect(unseen.map((r) => ({ kind: r.kind, status: r.status, error: r.error }))).toEqual([]);
  // The held requests finish once the lock goes, and the pool serves again.
  expect(patches.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(6);
  expect(badFailures(patches)).toEqual([]);
  expect(badFailures(records)).toEqual([]);
  // Nothing queues longer than one acquire timeout once a connection is free again.
  expect(recoveredMs).toBeLessThanOrEqual(ACQUIRE_TIMEOUT_MS + MARGIN_MS);
  expect(records.filter((r) => r.startedAt >= releaseAt && succeeded(r)).length).toBeGreaterThan(200);
});

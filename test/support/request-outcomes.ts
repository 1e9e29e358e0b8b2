import { performance } from 'node:perf_hooks';
import type { RequestRecord } from './request-once';
import type { LogLine } from './spawned-server';

/** A 2xx answer. */
export const succeeded = (r: RequestRecord): boolean => r.status !== undefined && r.status >= 200 && r.status < 300;

/** Counts by outcome: status code, or the transport error's code. */
export function outcomes(records: readonly RequestRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) {
    const key = r.status !== undefined ? String(r.status) : (r.error ?? 'unknown');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Counts of the error answers by problem type (the last part of its URN), 'not-problem' when the body was not one. */
export function problemTypes(records: readonly RequestRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) {
    if (!r.problem) continue;
    const key = r.problem.ok ? (r.problem.type ?? '').replace('urn:aquifer:problem:', '') : 'not-problem';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Failures that break the outage contract: anything but a 2xx or a 503 whose
 * body is problem+json with a matching request_id (a 500, another status, a
 * transport error, a timeout).
 */
export const badFailures = (records: readonly RequestRecord[]): RequestRecord[] =>
  records.filter((r) => !succeeded(r) && !(r.status === 503 && r.problem?.ok === true));

/** The site codes and ids of every write that got a 201. */
export const acknowledgedWrites = (records: readonly RequestRecord[]) =>
  records.flatMap((r) => (r.created ? [r.created] : []));

/** How a worker saw one request, from its access line. Times in epoch milliseconds. */
export interface WorkerView {
  readonly arrivedAt: number;
  readonly ms: number;
}

/**
 * The workers' view of each request, by request id. On two shared cores a request can wait
 * seconds in the accept queue before a worker sees it; what the server controls (and what its
 * timeouts bound) is the time from arrival to answer.
 */
export function workerViews(logs: readonly LogLine[]): Map<string, WorkerView> {
  const views = new Map<string, WorkerView>();
  for (const l of logs) {
    if (typeof l.reqId !== 'string' || typeof l.responseTime !== 'number' || typeof l.time !== 'string') continue;
    views.set(l.reqId, { arrivedAt: Date.parse(l.time) - l.responseTime, ms: l.responseTime });
  }
  return views;
}

/** A performance.now() time as epoch milliseconds, to compare with log times. */
export const epochMs = (t: number): number => performance.timeOrigin + t;

/** When a worker took the request (epoch ms), or when it was sent if no worker logged it. */
export const arrivedAt = (r: RequestRecord, views: ReadonlyMap<string, WorkerView>): number =>
  views.get(r.requestId ?? '')?.arrivedAt ?? epochMs(r.startedAt);

/** When a worker answered the request (epoch ms), or when the client got the answer if no worker logged it. */
export const answeredAt = (r: RequestRecord, views: ReadonlyMap<string, WorkerView>): number => {
  const view = views.get(r.requestId ?? '');
  return view === undefined ? epochMs(r.endedAt) : view.arrivedAt + view.ms;
};

/** Requests no worker logged: a hang, a reset or a refusal before any handler saw them. */
export const withoutAccessLine = (
  records: readonly RequestRecord[],
  views: ReadonlyMap<string, WorkerView>,
): RequestRecord[] => records.filter((r) => !views.has(r.requestId ?? ''));

/**
 * From `from` (epoch ms), how long until service was whole again: the start of the first
 * all-good window, `windowMs` of worker arrivals (at least `minRequests` of them) that all
 * succeeded (Infinity: none).
 * A window, not "every request after": on two shared cores a stall can shed a few requests
 * at any time, fault or not; the tests count those separately.
 */
export function recoveryMs(
  records: readonly RequestRecord[],
  views: ReadonlyMap<string, WorkerView>,
  from: number,
  windowMs = 1_000,
  minRequests = 20,
): number {
  const arrivals = records
    .map((r) => ({ at: arrivedAt(r, views), ok: succeeded(r) }))
    .filter((a) => a.at >= from)
    .sort((a, b) => a.at - b.at);
  // Past the last arrival: Infinity, so a window running off the end never counts as complete.
  const at = (k: number) => arrivals[k]?.at ?? Infinity;
  for (let i = 0; i < arrivals.length; i++) {
    let j = i;
    while (at(j) < at(i) + windowMs && arrivals[j]?.ok) j++;
    // Stopped past the window's end (not on a failure inside it), with enough requests in it.
    if (at(j) >= at(i) + windowMs && at(j) !== Infinity && j - i >= minRequests) return Math.max(0, at(i) - from);
  }
  return Infinity;
}

export interface Recovery {
  /** From the fault's end to the first all-good window (recoveryMs; Infinity: none). */
  readonly ms: number;
  /** Requests that arrived from that window on. */
  readonly settled: RequestRecord[];
  /** Those of them that failed anyway: stall-induced sheds on a busy machine, or a recovery that did not hold. */
  readonly relapses: RequestRecord[];
}

/** How service came back after a fault that ended at `from` (epoch ms). */
export function recoveryAfter(
  records: readonly RequestRecord[],
  views: ReadonlyMap<string, WorkerView>,
  from: number,
): Recovery {
  const ms = recoveryMs(records, views, from);
  const settled = records.filter((r) => arrivedAt(r, views) >= from + ms);
  return { ms, settled, relapses: settled.filter((r) => !succeeded(r)) };
}

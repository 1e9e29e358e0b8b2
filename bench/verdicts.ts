/**
 * The issue's targets and each one's pass or miss (pure). Benchmarks are
 * reported, not asserted: a miss is a line in the report, never a failed run.
 * A target whose step did not run, or whose figure is missing, is "not
 * measured" (pass null), never a pass.
 */
import type { BenchJson, VerdictJson } from './result';
import { round2 } from './stats';

export const TARGETS = {
  /** The app's point lookup at least this share of Fastify + pg's req/s. */
  pointVsFastifyMin: 0.8,
  /** Overload: 200s per second at least this share of the app's unloaded peak. */
  goodputMin: 0.9,
  /** Event-loop p99 in the workers strictly below this. */
  eventLoopP99MaxMs: 20,
  /** Bulk upload at least this share of a raw COPY's rows/s. */
  bulkVsCopyMin: 0.7,
  /** The uploading worker's resident set grows strictly less than this. */
  bulkRssMaxMb: 50,
} as const;

/** The statuses an overloaded app may answer with: served, or refused cleanly with Retry-After. */
export const OVERLOAD_STATUSES: readonly string[] = ['200', '503'];

type Parts = Pick<BenchJson, 'point_lookup' | 'overload' | 'event_loop' | 'bulk'>;

const verdict = (
  v: Omit<VerdictJson, 'pass' | 'detail'>,
  passes: (measured: number) => boolean,
  detail: (measured: number) => string,
  missing: string,
): VerdictJson =>
  v.measured === null
    ? { ...v, pass: null, detail: missing }
    : { ...v, pass: passes(v.measured), detail: detail(v.measured) };

const times = (v: number) => `${round2(v)}×`;

function overloadVerdicts(o: Parts['overload']): VerdictJson[] {
  const notRun = 'the overload step did not run';
  const unwanted = o ? Object.entries(o.statuses).filter(([status]) => !OVERLOAD_STATUSES.includes(status)) : [];
  // Nothing answered at all is no evidence of clean refusals: not measured rather than a pass.
  const badResponses =
    o && o.requests > 0 ? unwanted.reduce((n, [, count]) => n + count, 0) + o.missing_retry_after + o.errors : null;
  const sampled = o !== null && o.activity.samples > 0;
  return [
    verdict(
      {
        id: 'overload-connections',
        target: 'overload: connections ≤ budget at every sample',
        measured: sampled ? o.activity.max_connections : null,
        threshold: o?.budget ?? 0,
        unit: 'connections',
      },
      () => (o?.activity.samples_over_budget ?? 1) === 0,
      (m) =>
        `max ${m} of budget ${o?.budget} over ${o?.activity.samples} samples, ${o?.activity.samples_over_budget} above`,
      o ? 'no pg_stat_activity sample was taken' : notRun,
    ),
    verdict(
      {
        id: 'overload-statuses',
        target: 'overload: only 200 and 503 with Retry-After, no timeout or socket error',
        measured: badResponses,
        threshold: 0,
        unit: 'bad responses',
      },
      (m) => m === 0,
      () =>
        [
          `other statuses: ${unwanted.map(([s, n]) => `${s}×${n}`).join(', ') || 'none'}`,
          `503 without Retry-After: ${o?.missing_retry_after}`,
          `timeouts: ${o?.timeouts}`,
          `socket errors: ${o?.socket_errors}`,
        ].join('; '),
      o ? 'no response was received' : notRun,
    ),
    verdict(
      {
        id: 'overload-goodput',
        target: `overload: goodput ≥ ${TARGETS.goodputMin * 100}% of peak`,
        measured: o?.goodput_fraction ?? null,
        threshold: TARGETS.goodputMin,
        unit: 'of peak',
      },
      (m) => m >= TARGETS.goodputMin,
      (m) => `${o?.goodput_per_s} 200s/s of ${o?.peak_requests_per_s} req/s peak = ${round2(m * 100)}%`,
      o ? 'no peak to compare with: the point-lookup step did not run' : notRun,
    ),
    verdict(
      {
        id: 'overload-p99',
        target: 'overload: p99 of the 200s ≤ acquire timeout',
        measured: o?.ok.p99_ms ?? null,
        threshold: o?.acquire_timeout_ms ?? 0,
        unit: 'ms',
      },
      (m) => m <= (o?.acquire_timeout_ms ?? 0),
      (m) => `${m} ms against DB_ACQUIRE_TIMEOUT_MS ${o?.acquire_timeout_ms}`,
      o ? 'no 200 was answered' : notRun,
    ),
  ];
}

export function judge(parts: Parts): VerdictJson[] {
  const { point_lookup: point, event_loop: loop, bulk } = parts;
  const vsFastify = point?.app_vs_fastify?.median_of_rounds ?? null;
  const loopVerdict = (id: VerdictJson['id'], during: string, ms: number | null | undefined, ran: boolean) =>
    verdict(
      {
        id,
        target: `event-loop p99 < ${TARGETS.eventLoopP99MaxMs} ms during ${during}`,
        measured: ms ?? null,
        threshold: TARGETS.eventLoopP99MaxMs,
        unit: 'ms',
      },
      (m) => m < TARGETS.eventLoopP99MaxMs,
      (m) => `worst worker ${m} ms`,
      ran ? 'no reading from the metrics' : `not read (the ${during} step or event-loop did not run)`,
    );
  return [
    verdict(
      {
        id: 'point-lookup-vs-fastify',
        target: `point lookup ≥ ${TARGETS.pointVsFastifyMin}× Fastify`,
        measured: vsFastify,
        threshold: TARGETS.pointVsFastifyMin,
        unit: 'ratio',
      },
      (m) => m >= TARGETS.pointVsFastifyMin,
      (m) => `median of per-round ratios ${times(m)} (ratio of medians ${point?.app_vs_fastify?.of_medians ?? '–'})`,
      point ? 'Fastify was not measured' : 'the point-lookup step did not run',
    ),
    ...overloadVerdicts(parts.overload),
    loopVerdict('event-loop-point-lookup', 'point lookup', loop?.point_lookup?.p99_ms, Boolean(loop?.point_lookup)),
    loopVerdict('event-loop-overload', 'overload', loop?.overload?.p99_ms, Boolean(loop?.overload)),
    verdict(
      {
        id: 'bulk-vs-copy',
        target: `bulk upload ≥ ${TARGETS.bulkVsCopyMin}× raw COPY`,
        measured: bulk?.ratio.median_of_rounds ?? null,
        threshold: TARGETS.bulkVsCopyMin,
        unit: 'ratio',
      },
      (m) => m >= TARGETS.bulkVsCopyMin,
      (m) => `${bulk?.app.median_rows_per_s} rows/s against ${bulk?.raw.median_rows_per_s} rows/s = ${times(m)}`,
      bulk ? 'a bulk run failed' : 'the bulk step did not run',
    ),
    verdict(
      {
        id: 'bulk-rss',
        target: `bulk upload: worker RSS growth < ${TARGETS.bulkRssMaxMb} MB`,
        measured: bulk?.app.max_rss_growth_mb ?? null,
        threshold: TARGETS.bulkRssMaxMb,
        unit: 'MB',
      },
      (m) => m < TARGETS.bulkRssMaxMb,
      (m) => `largest growth over a round ${m} MB`,
      bulk ? 'not measured: no upload succeeded, or no /proc (Linux only)' : 'the bulk step did not run',
    ),
  ];
}

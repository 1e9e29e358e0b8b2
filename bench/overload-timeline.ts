/**
 * The overload step's raw observations turned into its JSON figures (pure):
 * pg_stat_activity samples against the budget, and responses per second by
 * kind, folded into at most MAX_BUCKETS buckets so a long run still charts
 * with readable ticks.
 */
import type { OverloadBucketJson, OverloadJson } from './result';
import { round2 } from './stats';

/** One pg_stat_activity reading: aquifer client backends `atMs` after the step began. */
export interface ActivitySample {
  readonly atMs: number;
  readonly connections: number;
}

/** Responses received during one second of the step. */
export interface SecondCounts {
  ok: number;
  busy: number;
  other: number;
}

export const MAX_BUCKETS = 30;

export const emptySecond = (): SecondCounts => ({ ok: 0, busy: 0, other: 0 });

/** Adds one response to the second it arrived in (`atMs` after the step began). */
export function countResponse(perSecond: SecondCounts[], atMs: number, status: number): void {
  const i = Math.max(0, Math.floor(atMs / 1000));
  while (perSecond.length <= i) perSecond.push(emptySecond());
  const second = perSecond[i] as SecondCounts;
  if (status === 200) second.ok++;
  else if (status === 503) second.busy++;
  else second.other++;
}

export function summarizeActivity(
  samples: readonly ActivitySample[],
  sampleErrors: number,
  intervalMs: number,
  budget: number,
): OverloadJson['activity'] {
  return {
    samples: samples.length,
    sample_errors: sampleErrors,
    interval_ms: intervalMs,
    max_connections: samples.length === 0 ? null : Math.max(...samples.map((s) => s.connections)),
    samples_over_budget: samples.filter((s) => s.connections > budget).length,
  };
}

/**
 * Buckets of `bucket_seconds` (1 s, or wider to stay within MAX_BUCKETS) over the step's whole
 * seconds. Responses counted past the last whole second (the run's final fraction) join the last
 * bucket, so a 4.02 s run does not end in a 0.02 s bucket with an absurd rate.
 */
export function bucketTimeline(
  durationS: number,
  samples: readonly ActivitySample[],
  perSecond: readonly SecondCounts[],
): OverloadJson['timeline'] {
  const seconds = Math.max(1, Math.round(durationS));
  const width = Math.max(1, Math.ceil(seconds / MAX_BUCKETS));
  const count = Math.ceil(seconds / width);
  const bucketOf = (second: number) => Math.min(count - 1, Math.floor(second / width));
  const totals = Array.from({ length: count }, () => ({ ...emptySecond(), connections: null as number | null }));
  perSecond.forEach((s, second) => {
    const b = totals[bucketOf(second)] as (typeof totals)[number];
    b.ok += s.ok;
    b.busy += s.busy;
    b.other += s.other;
  });
  for (const sample of samples) {
    const b = totals[bucketOf(Math.floor(sample.atMs / 1000))] as (typeof totals)[number];
    b.connections = Math.max(b.connections ?? 0, sample.connections);
  }
  const buckets: OverloadBucketJson[] = totals.map((b, i) => {
    const covered = Math.min(width, seconds - i * width);
    return {
      t_s: i * width,
      connections_max: b.connections,
      ok_per_s: round2(b.ok / covered),
      busy_per_s: round2(b.busy / covered),
      other_per_s: round2(b.other / covered),
    };
  });
  return { bucket_seconds: width, buckets };
}

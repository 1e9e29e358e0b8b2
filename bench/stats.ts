/**
 * Medians and ratios from the raw per-round results (pure). Rounds alternate
 * contenders, so round r of one contender and round r of another ran seconds
 * apart under the same conditions: the per-round ratio cancels the machine's
 * drift, and its median is the headline.
 */
import type { LoadResult } from './load';
import type { ContenderJson, PointLookupJson, RatioJson, RunJson } from './result';

/** Rounded for the JSON and the tables: more digits than that are noise on a shared machine. */
export const round2 = (v: number): number => Math.round(v * 100) / 100;

/** Ratios keep four digits: 0.8 against 0.7999 decides a verdict. */
export const round4 = (v: number): number => Math.round(v * 10_000) / 10_000;

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** The median of the finite values (the mean of the middle two for an even count); null when there are none. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const sorted = values.filter(finite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** a ÷ b, or null when either is missing or b is not positive (no ratio to speak of). */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (!finite(a) || !finite(b) || b <= 0) return null;
  return a / b;
}

/** The largest finite value; null when there is none. */
export function maxOf(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter(finite);
  return present.length === 0 ? null : Math.max(...present);
}

/** a ÷ b round by round (a round missing on either side gives null), their median, and the ratio of the medians. */
export function pairedRatio(a: readonly number[], b: readonly number[]): RatioJson {
  const rounds = Math.max(a.length, b.length);
  const byRound = Array.from({ length: rounds }, (_, i) => ratio(a[i], b[i]));
  const med = median(byRound);
  const ofMedians = ratio(median(a), median(b));
  return {
    median_of_rounds: med === null ? null : round4(med),
    of_medians: ofMedians === null ? null : round4(ofMedians),
    by_round: byRound.map((r) => (r === null ? null : round4(r))),
  };
}

const nullable = (v: number) => (Number.isFinite(v) ? round2(v) : null);

/** One load run as the JSON records it. */
export function toRunJson(result: LoadResult, round: number): RunJson {
  return {
    round,
    seconds: round2(result.durationS),
    requests: result.requests,
    requests_per_s: round2(result.requestsPerS),
    p50_ms: nullable(result.p50Ms),
    p99_ms: nullable(result.p99Ms),
    statuses: { ...result.byStatus },
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** A contender's rounds with their medians. */
export function summarizeContender(
  identity: Pick<ContenderJson, 'name' | 'label' | 'workers' | 'pool_per_worker'>,
  runs: readonly RunJson[],
): ContenderJson {
  const med = (pick: (r: RunJson) => number | null) => {
    const m = median(runs.map(pick));
    return m === null ? null : round2(m);
  };
  return {
    ...identity,
    runs,
    requests: runs.reduce((total, r) => total + r.requests, 0),
    median: {
      requests_per_s: med((r) => r.requests_per_s),
      p50_ms: med((r) => r.p50_ms),
      p99_ms: med((r) => r.p99_ms),
    },
  };
}

/** The req/s of each round, in round order, for pairing. */
export const requestsPerRound = (c: ContenderJson): number[] => c.runs.map((r) => r.requests_per_s);

/** The point lookup's contenders by role; a baseline that did not run is left out. */
export interface PointLookupNames {
  readonly app: string;
  readonly raw?: string;
  readonly fastify?: string;
  readonly express?: string;
}

export type PointLookupRatios = Pick<
  PointLookupJson,
  'app_vs_fastify' | 'app_vs_raw' | 'app_vs_express' | 'express_vs_fastify'
>;

/**
 * The point lookup's ratios, each paired round by round: the app over each baseline, and bare
 * Express over Fastify, so that app ÷ Fastify splits into app ÷ Express (the app's own features)
 * times Express ÷ Fastify (the framework). null where either side did not run.
 */
export function pointLookupRatios(contenders: readonly ContenderJson[], names: PointLookupNames): PointLookupRatios {
  const find = (name: string | undefined) => (name === undefined ? undefined : contenders.find((c) => c.name === name));
  const paired = (a: string | undefined, b: string | undefined) => {
    const [x, y] = [find(a), find(b)];
    return x && y ? pairedRatio(requestsPerRound(x), requestsPerRound(y)) : null;
  };
  return {
    app_vs_fastify: paired(names.app, names.fastify),
    app_vs_raw: paired(names.app, names.raw),
    app_vs_express: paired(names.app, names.express),
    express_vs_fastify: paired(names.express, names.fastify),
  };
}

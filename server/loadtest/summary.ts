/**
 * One load-test step, from what was recorded to what is reported: throughput,
 * latency percentiles, statuses, the pool's samples and the connection-hold
 * time. Pure; the JSON shape (snake_case, like every machine-readable output
 * of aquifer) is built here so the report and the file cannot disagree.
 */
import { MIX_KINDS, type MixKind } from './mix';
import type { ScrapeReading } from './scrape';

export interface ResponseRecord {
  readonly kind: MixKind;
  readonly status: number;
  readonly latencyMs: number;
}

export interface PoolSample {
  readonly waiting: number;
  readonly inUse: number;
  readonly poolMax: number;
}

export interface StepRecord {
  readonly concurrency: number;
  /** Wall time of the step as measured by the load generator. */
  readonly seconds: number;
  readonly responses: readonly ResponseRecord[];
  /** Connection errors and timeouts, as autocannon counts them (timeouts are errors too). */
  readonly errors: number;
  readonly timeouts: number;
  readonly poolSamples: readonly PoolSample[];
  /** Scrapes during the step that failed or timed out (an overloaded server may not answer them). */
  readonly sampleErrors: number;
  /** Scrapes just before the step started and just after its last response. */
  readonly before: ScrapeReading;
  readonly after: ScrapeReading;
  /** Share of the whole machine's CPU time that was busy (0–1); null when not measured. */
  readonly hostCpuBusy: number | null;
  /** CPU the load generator itself used, in cores. */
  readonly loadGeneratorCores: number;
}

export interface LatencyJson {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export interface StepJson {
  readonly concurrency: number;
  readonly seconds: number;
  readonly requests: number;
  readonly requests_per_s: number;
  readonly latency_ms: LatencyJson;
  /** Responses by status code, "200", "201", "503", …: 2xx and every non-2xx. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly non_2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly by_kind: Readonly<
    Record<MixKind, { requests: number; statuses: Readonly<Record<string, number>>; latency_ms: LatencyJson }>
  >;
  readonly pool: {
    readonly budget: number;
    readonly workers: number;
    readonly samples: number;
    readonly sample_errors: number;
    readonly waiting_max: number | null;
    readonly waiting_mean: number | null;
    readonly in_use_max: number | null;
    readonly in_use_mean: number | null;
  };
  readonly hold: {
    /** Δ statement seconds ÷ Δ API requests over the step, in ms: the figure fed to the planner. */
    readonly hold_ms: number | null;
    readonly statement_seconds: number | null;
    readonly api_requests: number | null;
  };
  readonly cpu: {
    /** Cores the aquifer processes used (Δ process_cpu_seconds_total ÷ step seconds). */
    readonly servers_cores: number | null;
    readonly host_busy: number | null;
    readonly load_generator_cores: number;
  };
}

/** Nearest rank: the smallest value with at least p % of the values at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Rounded for people and files alike; the raw samples are not kept. */
export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

const roundOrNull = (value: number | null, digits = 2) => (value === null ? null : round(value, digits));

function latencyOf(latencies: readonly number[]): LatencyJson {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50: roundOrNull(percentile(sorted, 50)),
    p95: roundOrNull(percentile(sorted, 95)),
    p99: roundOrNull(percentile(sorted, 99)),
    max: roundOrNull(sorted.at(-1) ?? null),
  };
}

function countStatuses(responses: readonly ResponseRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of responses) counts[String(r.status)] = (counts[String(r.status)] ?? 0) + 1;
  return counts;
}

const mean = (values: readonly number[]) =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
const max = (values: readonly number[]) => (values.length === 0 ? null : Math.max(...values));

/**
 * Differences of cumulative counters over the step; null when a counter went backwards (a worker
 * restarted and its counters began again) or nothing was served, since a ratio would then mislead.
 */
function holdOf(before: ScrapeReading, after: ScrapeReading): StepJson['hold'] {
  const statementSeconds = after.statementSeconds - before.statementSeconds;
  const apiRequests = after.apiRequests - before.apiRequests;
  if (statementSeconds < 0 || apiRequests <= 0) return { hold_ms: null, statement_seconds: null, api_requests: null };
  return {
    hold_ms: round((statementSeconds / apiRequests) * 1000, 3),
    statement_seconds: round(statementSeconds, 3),
    api_requests: apiRequests,
  };
}

export function summarizeStep(step: StepRecord): StepJson {
  const { responses, poolSamples, before, after } = step;
  const byKind = Object.fromEntries(
    MIX_KINDS.map((kind) => {
      const mine = responses.filter((r) => r.kind === kind);
      return [
        kind,
        { requests: mine.length, statuses: countStatuses(mine), latency_ms: latencyOf(mine.map((r) => r.latencyMs)) },
      ];
    }),
  ) as StepJson['by_kind'];
  const waiting = poolSamples.map((s) => s.waiting);
  const inUse = poolSamples.map((s) => s.inUse);
  const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
  return {
    concurrency: step.concurrency,
    seconds: round(step.seconds, 3),
    requests: responses.length,
    requests_per_s: step.seconds > 0 ? round(responses.length / step.seconds, 1) : 0,
    latency_ms: latencyOf(responses.map((r) => r.latencyMs)),
    statuses: countStatuses(responses),
    non_2xx: responses.filter((r) => r.status < 200 || r.status > 299).length,
    errors: step.errors,
    timeouts: step.timeouts,
    by_kind: byKind,
    pool: {
      budget: after.poolMax,
      workers: after.workers,
      samples: poolSamples.length,
      sample_errors: step.sampleErrors,
      waiting_max: max(waiting),
      waiting_mean: roundOrNull(mean(waiting)),
      in_use_max: max(inUse),
      in_use_mean: roundOrNull(mean(inUse)),
    },
    hold: holdOf(before, after),
    cpu: {
      servers_cores: cpuSeconds >= 0 && step.seconds > 0 ? round(cpuSeconds / step.seconds) : null,
      host_busy: roundOrNull(step.hostCpuBusy, 3),
      load_generator_cores: round(step.loadGeneratorCores),
    },
  };
}

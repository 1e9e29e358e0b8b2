/**
 * The bench's JSON result: what `<out>/bench-<timestamp>.json` holds. Keys are
 * snake_case like the load test's; a step that was not run is `null`, a figure
 * that could not be measured is `null`. `version` changes only when a field
 * changes meaning or goes away; a field added within a version (as
 * `app_vs_express` and `express_vs_fastify` were, in version 1) is simply
 * missing from files written before it, and a reader takes that as `null`.
 */

export const BENCH_JSON_VERSION = 1;

/** One autocannon run of one contender in one round. */
export interface RunJson {
  readonly round: number;
  readonly seconds: number;
  readonly requests: number;
  readonly requests_per_s: number;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly statuses: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
}

/** Medians over a contender's rounds. */
export interface MedianJson {
  readonly requests_per_s: number | null;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
}

export interface ContenderJson {
  readonly name: string;
  /** What the contender is, for tables: "aquifer, 2 workers". */
  readonly label: string;
  readonly workers: number;
  readonly pool_per_worker: number;
  readonly runs: readonly RunJson[];
  /** Requests answered over every round (warm-up excluded). */
  readonly requests: number;
  readonly median: MedianJson;
}

/** a ÷ b two ways: the median of the per-round ratios (rounds pair up in time) and the ratio of the medians. */
export interface RatioJson {
  readonly median_of_rounds: number | null;
  readonly of_medians: number | null;
  readonly by_round: readonly (number | null)[];
}

export interface PointLookupJson {
  readonly path: string;
  readonly connections: number;
  readonly rounds: number;
  readonly round_seconds: number;
  readonly warmup_seconds: number;
  readonly contenders: readonly ContenderJson[];
  readonly app_vs_fastify: RatioJson | null;
  readonly app_vs_raw: RatioJson | null;
  /** The app over bare Express + pg: what the app's production features cost (context, no target). */
  readonly app_vs_express: RatioJson | null;
  /** Bare Express + pg over Fastify + pg: what the framework costs (context, no target). */
  readonly express_vs_fastify: RatioJson | null;
}

export interface ScalingJson {
  readonly workers: number;
  /** The app at --workers over the app at one worker, both at the same connection count. */
  readonly ratio: RatioJson;
  readonly many: string;
  readonly one: string;
}

export interface ListSummaryJson {
  readonly connections: number;
  readonly rounds: number;
  readonly round_seconds: number;
  readonly list: ContenderJson;
  readonly summary: ContenderJson;
}

/** One bucket of the overload timeline (bucket_seconds wide, starting at t_s). */
export interface OverloadBucketJson {
  readonly t_s: number;
  /** The most aquifer client backends any sample in the bucket saw; null when no sample landed in it. */
  readonly connections_max: number | null;
  readonly ok_per_s: number;
  readonly busy_per_s: number;
  readonly other_per_s: number;
}

export interface OverloadJson {
  readonly path: string;
  readonly connections: number;
  readonly seconds: number;
  readonly budget: number;
  readonly acquire_timeout_ms: number;
  readonly requests: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** 503s answered without Retry-After. */
  readonly missing_retry_after: number;
  readonly ok: { readonly count: number; readonly p50_ms: number | null; readonly p99_ms: number | null };
  readonly goodput_per_s: number;
  /** The reference: the app's median req/s in the point-lookup step; null when that step did not run. */
  readonly peak_requests_per_s: number | null;
  readonly goodput_fraction: number | null;
  readonly errors: number;
  readonly timeouts: number;
  readonly socket_errors: number;
  readonly activity: {
    readonly samples: number;
    readonly sample_errors: number;
    readonly interval_ms: number;
    readonly max_connections: number | null;
    readonly samples_over_budget: number;
  };
  readonly timeline: { readonly bucket_seconds: number; readonly buckets: readonly OverloadBucketJson[] };
}

/** Event-loop p99 (ms) in the app's workers: the worst worker of each reading. */
export interface EventLoopJson {
  /** Max over the rounds; by_round per app contender. */
  readonly point_lookup: {
    readonly p99_ms: number | null;
    readonly by_contender: Readonly<Record<string, readonly (number | null)[]>>;
  } | null;
  readonly overload: { readonly p99_ms: number | null; readonly by_worker: Readonly<Record<string, number>> } | null;
}

export interface RssJson {
  readonly worker_pid: number;
  readonly baseline_mb: number;
  readonly peak_mb: number;
  readonly growth_mb: number;
}

export interface BulkAppRunJson {
  readonly round: number;
  readonly status: number;
  readonly rows_sent: number;
  /** What the app answered (`inserted`). */
  readonly rows_inserted: number;
  /** Rows in the bulk window (after the seeded readings) found in the table afterwards. */
  readonly rows_stored: number;
  readonly seconds: number;
  readonly rows_per_s: number;
  /** The worker that grew most; null off Linux (no /proc). */
  readonly rss: RssJson | null;
  readonly error: string | null;
}

export interface BulkRawRunJson {
  readonly round: number;
  readonly rows_sent: number;
  readonly rows_copied: number;
  readonly rows_stored: number;
  readonly seconds: number;
  readonly rows_per_s: number;
  readonly error: string | null;
}

export interface BulkJson {
  readonly rows: number;
  readonly rounds: number;
  readonly wells: number;
  readonly csv_bytes: number;
  readonly app: {
    readonly runs: readonly BulkAppRunJson[];
    readonly median_rows_per_s: number | null;
    readonly max_rss_growth_mb: number | null;
  };
  readonly raw: { readonly runs: readonly BulkRawRunJson[]; readonly median_rows_per_s: number | null };
  /** Upload rows/s over raw COPY rows/s. */
  readonly ratio: RatioJson;
}

export type VerdictId =
  | 'point-lookup-vs-fastify'
  | 'overload-connections'
  | 'overload-statuses'
  | 'overload-goodput'
  | 'overload-p99'
  | 'event-loop-point-lookup'
  | 'event-loop-overload'
  | 'bulk-vs-copy'
  | 'bulk-rss';

export interface VerdictJson {
  readonly id: VerdictId;
  readonly target: string;
  readonly measured: number | null;
  readonly threshold: number;
  readonly unit: string;
  /** null: not measured (the step was skipped or the figure is missing). */
  readonly pass: boolean | null;
  readonly detail: string;
}

export interface MachineJson {
  readonly cpu_model: string;
  readonly cores: number;
  readonly total_memory_mb: number;
  readonly platform: string;
  readonly node: string;
  readonly postgres: string;
  readonly git_commit: string | null;
  readonly git_dirty: boolean | null;
  readonly load_average_before: readonly number[];
}

export interface BenchJson {
  readonly version: typeof BENCH_JSON_VERSION;
  readonly started_at: string;
  readonly finished_at: string;
  readonly settings: {
    readonly rounds: number;
    readonly round_seconds: number;
    readonly connections: number;
    readonly budget: number;
    readonly workers: number;
    readonly pool_per_worker: number;
    readonly wells: number;
    readonly observations_per_well: number;
    readonly bulk_rows: number;
    readonly bulk_rounds: number;
    readonly overload_seconds: number;
    readonly overload_connections: number;
    readonly acquire_timeout_ms: number;
    readonly steps: readonly string[];
    readonly quick: boolean;
  };
  readonly machine: MachineJson;
  readonly data: { readonly wells: number; readonly observations: number; readonly seed_seconds: number };
  readonly point_lookup: PointLookupJson | null;
  readonly scaling: ScalingJson | null;
  readonly list_summary: ListSummaryJson | null;
  readonly overload: OverloadJson | null;
  readonly event_loop: EventLoopJson | null;
  readonly bulk: BulkJson | null;
  readonly verdicts: readonly VerdictJson[];
  /** Things the reader should know about this run (e.g. a step dropped, a figure not measurable here). */
  readonly notes: readonly string[];
}

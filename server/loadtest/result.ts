/**
 * The load test's result file, `loadtest-<timestamp>.json`: snake_case keys,
 * every key always present (null when not measured), like `npm run capacity
 * -- --json`. The HTML report is rendered from this same object.
 */
import type { MixWeights } from './mix';
import type { PredictionJson } from './prediction';
import type { StepJson } from './summary';

/** Bumped only when a field changes meaning or goes away; new fields may appear without it. */
export const RESULT_JSON_VERSION = 1;

export interface LoadTestJson {
  readonly version: number;
  readonly started_at: string;
  readonly finished_at: string;
  /** Also written into every observation the run posts (`notes`), so its rows can be found again. */
  readonly run_label: string;
  readonly target: { readonly url: string; readonly metrics: string };
  readonly settings: {
    readonly steps: readonly number[];
    readonly step_seconds: number;
    readonly mix: MixWeights;
    readonly seed: number;
  };
  readonly machine: { readonly cpus: number; readonly node: string; readonly load_average_before: readonly number[] };
  /** What the mix drew from: wells listed at start, their counties and the search terms made from them. */
  readonly catalog: { readonly wells: number; readonly counties: number; readonly search_terms: number };
  readonly steps: readonly StepJson[];
  readonly prediction: PredictionJson;
  readonly notes: { readonly hold_time: string; readonly limits: string };
}

export const HOLD_TIME_NOTE =
  'The hold time is Δ aquifer_db_statement_duration_seconds_sum ÷ Δ aquifer_http_request_duration_seconds_count ' +
  'over the step, both over API routes and summed over workers. It approximates the time a request keeps a ' +
  'pooled connection: each pooled statement checks a connection out and back in around its own execution, so ' +
  'its statement time is its hold time, give or take the checkout itself; a transaction holds one connection ' +
  'across its statements and the JavaScript between them, which statement times leave out (no route in this mix ' +
  'opens one; deleting a well and bulk uploads do). ' +
  'Requests that touch no connection count in the denominator, as they should: the planner wants the mean per request.';

export const LIMITS_NOTE =
  'The load generator, the aquifer processes and PostgreSQL run on the same machine over loopback, so they ' +
  'compete for its cores: the measured rate is what this machine does with all three, not what the server does ' +
  'alone. Latencies are measured by the load generator from request written to response parsed (closed loop: ' +
  'each connection sends its next request when the previous one is answered).';

/**
 * What the load test reads from one metrics scrape, summed over every worker:
 * the pool's state now, and the counters whose differences between two scrapes
 * give the connection-hold time and the servers' CPU over a step.
 */
import { parsePrometheus, samplesOf, sumOf, type Sample } from './prometheus-text';

export interface ScrapeReading {
  readonly waiting: number;
  readonly inUse: number;
  /** The budget: the sum of the pools' maxima. */
  readonly poolMax: number;
  /** Workers reporting a pool (distinct `worker` labels). */
  readonly workers: number;
  /** Statement seconds of API routes, cumulative. */
  readonly statementSeconds: number;
  /** API requests answered, cumulative. */
  readonly apiRequests: number;
  /** CPU seconds of every aquifer process in the scrape, cumulative. */
  readonly cpuSeconds: number;
}

/**
 * Only API routes count: the scrapes themselves (`GET /metrics`, whose key check runs outside any
 * named route) and health checks are not the traffic whose hold time we want.
 */
const isApiRoute = (s: Sample) => (s.labels.route ?? '').includes(' /api/');

const sumApi = (samples: readonly Sample[], name: string) =>
  samplesOf(samples, name)
    .filter(isApiRoute)
    .reduce((total, s) => total + s.value, 0);

export function readScrape(text: string): ScrapeReading {
  const samples = parsePrometheus(text);
  const pools = samplesOf(samples, 'aquifer_db_pool_max');
  if (pools.length === 0) throw new Error('the metrics have no aquifer_db_pool_max: is this an aquifer server?');
  return {
    waiting: sumOf(samples, 'aquifer_db_pool_waiting'),
    inUse: sumOf(samples, 'aquifer_db_pool_in_use'),
    poolMax: sumOf(samples, 'aquifer_db_pool_max'),
    workers: new Set(pools.map((s) => s.labels.worker)).size,
    statementSeconds: sumApi(samples, 'aquifer_db_statement_duration_seconds_sum'),
    apiRequests: sumApi(samples, 'aquifer_http_request_duration_seconds_count'),
    cpuSeconds: sumOf(samples, 'process_cpu_seconds_total'),
  };
}

/**
 * This process's Prometheus metrics. Every series carries a `worker` label, so
 * when the primary sums all workers' registries (prom-client's default
 * aggregation) each worker's series stays its own and totals are one sum away.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolObserver, PoolStats } from '../lib/db-types';
import type { EventLoopDelays, EventLoopMonitor } from '../lib/event-loop-monitor';
import { LabelledHistogram } from './labelled-histogram';

/** Seconds. From a cache-hot lookup (~1 ms) to the default acquire and statement timeouts. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface WorkerMetrics {
  readonly registry: Registry;
  /** Feeds acquire waits, timeouts, sheds and statement times from the db module. */
  readonly poolObserver: PoolObserver;
  /** Records one HTTP request's time by route template and status ("aborted": the client left first). */
  readonly observeHttp: (route: string, status: number | 'aborted', seconds: number) => void;
  /** The pool's live state, read at each scrape. */
  watchPool(stats: () => PoolStats): void;
  /** Event-loop delay percentiles, read (and started over) at each scrape. */
  watchEventLoop(monitor: Pick<EventLoopMonitor, 'takeDelays'>): void;
}

export function createWorkerMetrics(worker: string): WorkerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ worker });
  collectDefaultMetrics({ register: registry });
  const on = { registers: [registry] };

  let poolStats: (() => PoolStats) | undefined;
  const poolGauge = (name: string, help: string, read: (s: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      ...on,
      collect() {
        if (poolStats) this.set(read(poolStats()));
      },
    });
  poolGauge('aquifer_db_pool_max', 'Connections this worker may open: its share of the budget', (s) => s.max);
  poolGauge('aquifer_db_pool_open', 'Connections open now', (s) => s.total);
  poolGauge('aquifer_db_pool_in_use', 'Connections checked out now', (s) => s.total - s.idle);
  poolGauge('aquifer_db_pool_idle', 'Open connections not in use', (s) => s.idle);
  poolGauge('aquifer_db_pool_waiting', 'Requests queued for a connection', (s) => s.waiting);

  const acquireWait = new LabelledHistogram(
    'aquifer_db_acquire_wait_seconds',
    'Time a request waited for a pooled connection, including those that got none',
    [],
    LATENCY_BUCKETS,
    registry,
  ).child();
  const acquireTimeouts = new Counter({
    name: 'aquifer_db_acquire_timeouts_total',
    help: 'Requests that got no connection within DB_ACQUIRE_TIMEOUT_MS (503 database-busy)',
    ...on,
  });
  const shed = new Counter({
    name: 'aquifer_db_shed_total',
    help: 'Requests turned away at once, all connections busy and the wait in vain: DB_MAX_QUEUE already waiting, or a wait past the acquire timeout expected (503 queue-full)',
    ...on,
  });
  const statements = new LabelledHistogram(
    'aquifer_db_statement_duration_seconds',
    'Statement execution time by route (excluding the wait for a connection)',
    ['route', 'outcome'],
    LATENCY_BUCKETS,
    registry,
  );
  const http = new LabelledHistogram(
    'aquifer_http_request_duration_seconds',
    'HTTP request time by route template and status',
    ['route', 'status'],
    LATENCY_BUCKETS,
    registry,
  );

  let takeLoopDelays: (() => EventLoopDelays | null) | undefined;
  new Gauge({
    name: 'aquifer_event_loop_delay_seconds',
    help: 'Event-loop delay (how late the loop ran past its sampling interval) since the previous scrape, by quantile',
    labelNames: ['quantile'],
    ...on,
    collect() {
      const delays = takeLoopDelays?.();
      if (!delays) return;
      for (const [quantile, ms] of [
        ['0.5', delays.p50Ms],
        ['0.99', delays.p99Ms],
        ['1', delays.maxMs],
      ] as const) {
        this.set({ quantile }, ms / 1000);
      }
    },
  });

  return {
    registry,
    poolObserver: {
      acquired: (waitMs) => acquireWait.observe(waitMs / 1000),
      acquireTimedOut: (waitMs) => {
        acquireWait.observe(waitMs / 1000);
        acquireTimeouts.inc();
      },
      shed: () => shed.inc(),
      statement: (durationMs, route, failed) =>
        statements.child(route ?? 'none', failed ? 'error' : 'ok').observe(durationMs / 1000),
    },
    observeHttp: (route, status, seconds) => http.child(route, String(status)).observe(seconds),
    watchPool: (stats) => {
      poolStats = stats;
    },
    watchEventLoop: (monitor) => {
      takeLoopDelays = () => monitor.takeDelays();
    },
  };
}

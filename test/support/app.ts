import { Writable } from 'node:stream';
import type { Express } from 'express';
import { buildApp } from '../../server/app';
import { createDatabase, type Database } from '../../server/lib/db';
import { createLogger } from '../../server/lib/logger';
import { createWorkerMetrics, type WorkerMetrics } from '../../server/metrics/registry';
import { poolerOptions } from './env';

export interface TestApp {
  readonly app: Express;
  readonly db: Database;
  /** Every log line written so far, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The app's own metrics registry. */
  readonly metrics: WorkerMetrics;
  /** Flip readiness as a draining worker would. */
  setShuttingDown(value: boolean): void;
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly poolSize?: number;
  readonly acquireTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
  readonly readinessTimeoutMs?: number;
  readonly bodyLimitBytes?: number;
  readonly readsRequireAuth?: boolean;
  readonly bulkMaxBytes?: number;
  /** Default 1000: no test sheds load unless it asks to. */
  readonly maxQueue?: number;
  readonly slowQueryMs?: number;
  readonly readinessFailWhenSaturatedMs?: number;
}

/** The real app over a real pool, with logs captured in memory instead of printed. */
export function buildTestApp(url: string, opts: TestAppOptions = {}): TestApp {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('info', 'w0', sink);
  const metrics = createWorkerMetrics('test-w0');
  const db = createDatabase({
    connectionString: url,
    applicationName: 'aquifer:test-w0',
    max: opts.poolSize ?? 4,
    acquireTimeoutMs: opts.acquireTimeoutMs ?? 2_000,
    statementTimeoutMs: opts.statementTimeoutMs ?? 5_000,
    idleTimeoutMs: 1_000,
    maxLifetimeS: 0,
    ...poolerOptions(),
    maxQueue: opts.maxQueue ?? 1_000,
    slowQueryMs: opts.slowQueryMs ?? 0,
    logger,
    observer: metrics.poolObserver,
  });
  metrics.watchPool(() => db.stats());
  let shuttingDown = false;
  const app = buildApp({
    db,
    logger,
    lifecycle: { isShuttingDown: () => shuttingDown },
    bodyLimitBytes: opts.bodyLimitBytes ?? 64 * 1024,
    readinessTimeoutMs: opts.readinessTimeoutMs ?? 500,
    readinessFailWhenSaturatedMs: opts.readinessFailWhenSaturatedMs ?? 0,
    metrics: { observeHttp: metrics.observeHttp, scrape: () => metrics.registry.metrics() },
    api: {
      readsRequireAuth: opts.readsRequireAuth ?? false,
      bulkMaxBytes: opts.bulkMaxBytes ?? 16 * 1024 * 1024,
      bulkStatementTimeoutMs: 60_000,
    },
  });
  return {
    app,
    db,
    logs,
    metrics,
    setShuttingDown: (value) => {
      shuttingDown = value;
    },
    close: () => db.end(),
  };
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config';
import { planBudget, type BudgetPlan } from './budget';
import { withSingleConnection } from './db';
import { DatabaseQueryError, DatabaseUnavailableError } from './errors';
import type { Logger } from './logger';
import { migrate } from './migrate';
import { checkPooledSession, startupQueryTimeoutMs } from './pooled-session';
import { readServerFacts, type ServerFacts } from './server-facts';
import { NO_SAMPLE_DATA, loadSampleDataOnce, type SampleDataCounts } from '../seed/sample';

export interface PreparedDatabase {
  readonly facts: ServerFacts;
  readonly plan: BudgetPlan;
  readonly migrationsApplied: readonly string[];
  /** Rows the sample data load added this time (zeros when it was loaded before or is off). */
  readonly sampleData: SampleDataCounts;
}

const RETRY_INTERVAL_MS = 500;

/** Errors that mean "the database is not up yet", worth waiting out at start-up. */
function isNotUpYet(err: unknown): boolean {
  return (
    err instanceof DatabaseUnavailableError ||
    (err instanceof DatabaseQueryError && (err.sqlState === '57P03' || err.sqlState.startsWith('08')))
  );
}

/**
 * Start-up work on one short-lived connection (to DATABASE_DIRECT_URL when set:
 * a transaction pooler cannot hold the migrations' session lock), closed before any pool opens:
 * read the live limits, plan the budget (throws BudgetError when it cannot
 * hold), apply migrations and load the sample data when configured.
 */
export async function prepareDatabase(
  url: string,
  applicationName: string,
  config: Config,
  logger: Logger,
  /** Workers to split the budget over; more than run leaves shares spare. */
  plannedWorkers: number = config.cluster.workers,
): Promise<PreparedDatabase> {
  const deadline = Date.now() + config.db.startupWaitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await withSingleConnection(
        config.db.directUrl ?? url,
        applicationName,
        config.db.acquireTimeoutMs,
        async (db) => {
          const facts = await readServerFacts(db);
          const plan = planBudget({
            requested: config.db.connectionBudget,
            limits: facts.limits,
            headroom: config.db.reservedConnections,
            replicas: config.db.replicas,
            workers: plannedWorkers,
          });
          const migrationsApplied = config.db.migrate ? await migrate(db, logger) : [];
          const sampleData = config.db.sampleData ? await loadSampleDataOnce(db) : NO_SAMPLE_DATA;
          return { facts, plan, migrationsApplied, sampleData };
        },
        // Migrations and the sample load may rightly run long; without them (always so through PgBouncer
        // with no direct URL) the reads are bounded, so a database that stops answering cannot hang start-up.
        { queryTimeoutMs: config.db.migrate || config.db.sampleData ? 0 : startupQueryTimeoutMs(config) },
      ).then(async (prepared) => {
        if (config.db.pooler === 'pgbouncer') await checkPooledSession(url, applicationName, config, logger);
        return prepared;
      });
    } catch (err) {
      if (!isNotUpYet(err) || Date.now() + RETRY_INTERVAL_MS > deadline) throw err;
      if (attempt === 1) logger.warn({ err }, 'database not reachable yet; retrying');
      await sleep(RETRY_INTERVAL_MS);
    }
  }
}

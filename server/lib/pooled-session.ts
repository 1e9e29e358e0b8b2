/**
 * Start-up checks behind PgBouncer in transaction pooling (DB_POOLER=pgbouncer),
 * where aquifer sends no session settings and the server's own must hold.
 */
import type { Config } from '../../config';
import { withSingleConnection, type Db } from './db';
import type { Logger } from './logger';

const PROBE = { name: 'aquifer_pooler_probe', text: 'SELECT 1 AS one' } as const;

/**
 * Why the server's statement_timeout (ms, 0 = none) cannot bound our statements, or null.
 * A client-side timeout drops the connection, and PgBouncer then frees its server slot
 * while the backend runs on: only the server's timeout ends it, so without one (or with
 * a longer one) such orphans pile up past the budget.
 */
export function statementTimeoutProblem(serverMs: number, configuredMs: number): string | null {
  const fix = `ALTER ROLE <role> SET statement_timeout = '${configuredMs}ms'`;
  if (serverMs === 0) {
    return `behind PgBouncer the server sets no statement_timeout, so a statement the client gives up on runs on outside the budget: ${fix}`;
  }
  if (serverMs > configuredMs) {
    return `behind PgBouncer the server's statement_timeout (${serverMs} ms) is longer than DB_STATEMENT_TIMEOUT_MS=${configuredMs}, so a statement the client gives up on runs on outside the budget: ${fix}`;
  }
  return null;
}

/**
 * Whether PgBouncer keeps named statements itself (1.21+ with max_prepared_statements
 * renames them on the server) rather than passing them through to one server
 * connection, where the next transaction may not find them. Deterministic: it looks
 * for the name on the server connection of its own transaction.
 */
async function pgbouncerTracksNamedStatements(db: Db): Promise<boolean> {
  await db.exec({ text: 'BEGIN' });
  try {
    await db.one(PROBE);
    const passedThrough = await db.maybeOne({
      text: 'SELECT 1 FROM pg_prepared_statements WHERE name = $1',
      values: [PROBE.name],
    });
    // Left behind, it would make the same name fail for the next client of that server connection.
    if (passedThrough) await db.exec({ text: `DEALLOCATE ${PROBE.name}` });
    return passedThrough === null;
  } finally {
    await db.exec({ text: 'COMMIT' });
  }
}

/** Refuses (throws) a set-up whose budget or statements behind PgBouncer would not hold; warns on weaker gaps. */
export async function checkPooledSession(
  url: string,
  applicationName: string,
  config: Config,
  logger: Logger,
): Promise<void> {
  await withSingleConnection(
    url,
    applicationName,
    config.db.acquireTimeoutMs,
    async (db) => {
      const row = await db.one<{ statement_timeout_ms: number; check_interval_ms: number | null }>({
        text: `SELECT (SELECT setting::int FROM pg_settings WHERE name = 'statement_timeout') AS statement_timeout_ms,
                      (SELECT setting::int FROM pg_settings WHERE name = 'client_connection_check_interval')
                        AS check_interval_ms`,
      });
      const problem = statementTimeoutProblem(row.statement_timeout_ms, config.db.statementTimeoutMs);
      if (problem) throw new Error(problem);
      if (!row.check_interval_ms) {
        logger.warn(
          "behind PgBouncer the server sets no client_connection_check_interval, so a dead worker's running " +
            "statement holds its backend until statement_timeout: ALTER ROLE <role> SET client_connection_check_interval = '1s'",
        );
      }
      logger.info(row, 'through PgBouncer (transaction pooling): session settings come from the server');
      if (config.db.preparedStatements && !(await pgbouncerTracksNamedStatements(db))) {
        throw new Error(
          'DB_PREPARED_STATEMENTS=true, but PgBouncer passes named statements through to one server connection, ' +
            'where the next transaction may not find them (PgBouncer before 1.21, or max_prepared_statements = 0): ' +
            "set DB_PREPARED_STATEMENTS=false, or max_prepared_statements in PgBouncer's configuration",
        );
      }
    },
    { preparedStatements: true, queryTimeoutMs: startupQueryTimeoutMs(config) },
  );
}

/**
 * The bound on a short start-up statement. Through PgBouncer it counts the wait for a server
 * connection, which other hosts may keep busy (PgBouncer's own wait is 120 s), as a pool acquire.
 */
export function startupQueryTimeoutMs(config: Config): number {
  return config.db.acquireTimeoutMs + config.db.statementTimeoutMs;
}

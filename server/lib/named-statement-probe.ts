import { withSingleConnection } from './db';
import { DatabaseQueryError } from './errors';

/** What the probe saw: a named statement reused on another server connection worked, failed, or could not be tried. */
export type NamedStatementVerdict = 'carried' | 'lost' | 'inconclusive';

const PROBE = { name: 'aquifer_pooler_probe', text: 'SELECT 1 AS one' } as const;

/**
 * Whether a transaction pooler carries named (prepared) statements from one
 * server connection to another, as PgBouncer 1.21+ does with
 * max_prepared_statements set and earlier versions do not.
 *
 * A holder keeps one server connection in a transaction, so the prober's
 * statement is prepared on a second; once the holder commits, PgBouncer hands
 * the prober the connection released last (its default, server_round_robin=0),
 * where the statement was never prepared. 26000 there means "lost".
 */
export async function probeNamedStatements(
  pooledUrl: string,
  applicationName: string,
  timeoutMs: number,
): Promise<NamedStatementVerdict> {
  return withSingleConnection(
    pooledUrl,
    applicationName,
    timeoutMs,
    (holder) =>
      withSingleConnection(
        pooledUrl,
        applicationName,
        timeoutMs,
        async (prober) => {
          await holder.exec({ text: 'BEGIN' });
          try {
            // With a server pool of one this waits for the holder: no second connection to prepare on.
            await prober.one(PROBE);
          } catch (err) {
            if (err instanceof DatabaseQueryError) throw err;
            return 'inconclusive';
          } finally {
            await holder.exec({ text: 'COMMIT' });
          }
          try {
            await prober.one(PROBE);
            return 'carried';
          } catch (err) {
            if (err instanceof DatabaseQueryError && err.sqlState === '26000') return 'lost';
            throw err;
          }
        },
        { preparedStatements: true, queryTimeoutMs: timeoutMs },
      ),
    { queryTimeoutMs: timeoutMs },
  );
}

/**
 * The connection the CLI scripts share: DATABASE_URL, or the embedded
 * PostgreSQL (adopted when `npm start` is running it, else started and stopped
 * again), with pending migrations applied first so a script works on a fresh
 * clone. Logs go to stderr: stdout is the script's output.
 */
import pino from 'pino';
import { readConfigOrExit } from '../config';
import { withSingleConnection, type Db } from '../server/lib/db';
import { startEmbeddedPostgres } from '../server/lib/embedded-postgres';
import { createLogger, type Logger } from '../server/lib/logger';
import { migrate } from '../server/lib/migrate';

/** Opens `count` more connections like the script's own and closes them when `fn` settles. */
export type WithMoreConnections = <T>(count: number, fn: (dbs: readonly Db[]) => Promise<T>) => Promise<T>;

export async function withScriptDatabase<T>(
  script: string,
  fn: (db: Db, logger: Logger, migrationsApplied: readonly string[], more: WithMoreConnections) => Promise<T>,
): Promise<T> {
  const config = readConfigOrExit();
  const logger = createLogger(config.logLevel, script, pino.destination({ fd: 2, sync: true }));
  const embedded =
    config.db.url === null
      ? await startEmbeddedPostgres({ dataDir: config.embedded.dataDir, port: config.embedded.port, logger })
      : null;
  try {
    if (config.db.pooler === 'pgbouncer' && config.db.directUrl === null) {
      throw new Error('behind PgBouncer, scripts need DATABASE_DIRECT_URL: they migrate first, under a session lock');
    }
    const url = config.db.directUrl ?? config.db.url ?? (embedded?.url as string);
    // A script has no request waiting on it: give the connection as long as start-up would get.
    const connectTimeoutMs = Math.max(config.db.acquireTimeoutMs, config.db.startupWaitMs);
    const connect = <R>(fnOnDb: (db: Db) => Promise<R>) =>
      withSingleConnection(url, `${config.appName}:${script}`, connectTimeoutMs, fnOnDb);
    const more: WithMoreConnections = <R>(count: number, fnOnDbs: (dbs: readonly Db[]) => Promise<R>) => {
      // Nested so each connection closes in a finally, innermost first.
      const open = (opened: readonly Db[]): Promise<R> =>
        opened.length >= count ? fnOnDbs(opened) : connect((db) => open([...opened, db]));
      return open([]);
    };
    return await connect(async (db) => {
      // Idempotent, and under an advisory lock: safe while servers run.
      const applied = await migrate(db, logger);
      return fn(db, logger, applied, more);
    });
  } finally {
    // Leave a server another process was already using running.
    if (embedded && !embedded.adopted) await embedded.stop('fast');
  }
}

/** Thrown for bad command-line arguments: the script prints usage and exits 2. */
export class UsageError extends Error {}

/** Runs a script's main and exits with its code: 2 for a UsageError (with usage), 1 for any other failure. */
export function runScript(main: () => Promise<number>, usage: string): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${err.message}\n\n${usage}`);
        process.exit(2);
      }
      process.stderr.write(`failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

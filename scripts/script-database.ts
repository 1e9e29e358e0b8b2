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

export async function withScriptDatabase<T>(
  script: string,
  fn: (db: Db, logger: Logger, migrationsApplied: readonly string[]) => Promise<T>,
): Promise<T> {
  const config = readConfigOrExit();
  const logger = createLogger(config.logLevel, script, pino.destination({ fd: 2, sync: true }));
  const embedded =
    config.db.url === null
      ? await startEmbeddedPostgres({ dataDir: config.embedded.dataDir, port: config.embedded.port, logger })
      : null;
  try {
    const url = config.db.url ?? (embedded?.url as string);
    // A script has no request waiting on it: give the connection as long as start-up would get.
    const connectTimeoutMs = Math.max(config.db.acquireTimeoutMs, config.db.startupWaitMs);
    return await withSingleConnection(url, `${config.appName}:${script}`, connectTimeoutMs, async (db) => {
      // Idempotent, and under an advisory lock: safe while servers run.
      const applied = await migrate(db, logger);
      return fn(db, logger, applied);
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

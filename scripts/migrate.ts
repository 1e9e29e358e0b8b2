/**
 * `npm run migrate`: applies pending migrations and exits, for deployments that
 * run migrations as their own step (with DB_MIGRATE=false on the servers).
 */
import { readConfigOrExit } from '../config';
import { withSingleConnection } from '../server/lib/db';
import { startEmbeddedPostgres } from '../server/lib/embedded-postgres';
import { createLogger } from '../server/lib/logger';
import { migrate } from '../server/lib/migrate';

async function main(): Promise<number> {
  const config = readConfigOrExit();
  const logger = createLogger(config.logLevel, 'migrate');
  const embedded =
    config.db.url === null
      ? await startEmbeddedPostgres({ dataDir: config.embedded.dataDir, port: config.embedded.port, logger })
      : null;
  try {
    const url = config.db.url ?? (embedded?.url as string);
    const applied = await withSingleConnection(url, `${config.appName}:migrate`, config.db.acquireTimeoutMs, (db) =>
      migrate(db, logger),
    );
    logger.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'schema is up to date');
    return 0;
  } finally {
    // Leave a server another process was already using running.
    if (embedded && !embedded.adopted) await embedded.stop('fast');
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`migration failed: ${String(err)}\n`);
    process.exit(1);
  },
);

/**
 * Entry point that only runs the embedded PostgreSQL, for pm2: `ecosystem.config.js`
 * starts it as its own app when DATABASE_URL is unset, and the pm2 workers
 * connect to it. Under our own primary this file is not used.
 */
import { setInterval } from 'node:timers';
import { readConfigOrExit } from '../config';
import { startEmbeddedPostgres } from './lib/embedded-postgres';
import { createLogger } from './lib/logger';

const HEALTH_CHECK_INTERVAL_MS = 5_000;

async function main(): Promise<void> {
  const config = readConfigOrExit();
  const logger = createLogger(config.logLevel, 'embedded-db');
  const pg = await startEmbeddedPostgres({
    dataDir: config.embedded.dataDir,
    port: config.embedded.port,
    logger,
  });
  logger.info({ dataDir: pg.dataDir, port: config.embedded.port }, 'embedded PostgreSQL running');
  process.send?.('ready');

  // If PostgreSQL dies under us, exit so pm2 restarts this app and with it the database.
  const watch = setInterval(() => {
    pg.postmasterPid()
      .then((pid) => process.kill(pid, 0))
      .catch((err: unknown) => {
        logger.fatal({ err }, 'embedded PostgreSQL is gone');
        process.exit(1);
      });
  }, HEALTH_CHECK_INTERVAL_MS);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    clearInterval(watch);
    logger.info({ signal }, 'stopping the embedded PostgreSQL');
    pg.stop('fast').then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`embedded PostgreSQL failed to start: ${String(err)}\n`);
  process.exit(1);
});

/**
 * `npm run migrate`: applies pending migrations and exits, for deployments that
 * run migrations as their own step (with DB_MIGRATE=false on the servers).
 */
import { runScript, withScriptDatabase } from './script-database';

runScript(
  () =>
    withScriptDatabase('migrate', async (_db, logger, applied) => {
      logger.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'schema is up to date');
      return 0;
    }),
  'usage: npm run migrate\n',
);

import { randomBytes } from 'node:crypto';
import { withSingleConnection, type Db } from '../../server/lib/db';
import { appUrl, testEnv, withDatabase } from './env';

export interface TestDatabase {
  readonly name: string;
  /** For the app: through PgBouncer when the run uses it (npm run test:pgbouncer). */
  readonly url: string;
  /** PostgreSQL itself, for set-up, assertions and anything that needs a session. */
  readonly directUrl: string;
  /** Runs statements on a fresh connection to this database (for setup and assertions). */
  query<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

/** A private database cloned from the migrated template, so test files never share state. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `t_${label
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const adminUrl = testEnv('adminUrl');
  await withSingleConnection(adminUrl, 'aquifer:test', 10_000, (db) =>
    db.exec({ text: `CREATE DATABASE ${name} TEMPLATE ${testEnv('templateDb')}` }),
  );
  const directUrl = withDatabase(adminUrl, name);
  return {
    name,
    url: appUrl(directUrl),
    directUrl,
    query: (fn) => withSingleConnection(directUrl, 'aquifer:test', 10_000, fn),
    drop: () =>
      withSingleConnection(adminUrl, 'aquifer:test', 10_000, (db) =>
        db.exec({ text: `DROP DATABASE IF EXISTS ${name} WITH (FORCE)` }),
      ).then(() => undefined),
  };
}

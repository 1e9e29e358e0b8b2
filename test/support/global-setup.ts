import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { withSingleConnection } from '../../server/lib/db';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../server/lib/embedded-postgres';
import { migrate } from '../../server/lib/migrate';
import { freePort } from './ports';
import { TEST_ENV, throughPgbouncer, withDatabase } from './env';
import globalTeardown from './global-teardown';
import { startPgbouncer, type Pgbouncer } from './pgbouncer';

declare global {
  // Handed from set-up to tear-down, which jest runs in the same process.
  var __aquiferTestPostgres:
    { server: EmbeddedPostgres | null; root: string | null; pgbouncer: Pgbouncer | null } | undefined;
}

const TEMPLATE = 'aquifer_template';

/**
 * Starts one PostgreSQL for the run (embedded unless TEST_DATABASE_URL or
 * DATABASE_URL names one) and builds a migrated template database that each
 * test file clones.
 */
export default async function globalSetup(): Promise<void> {
  const logger = pino({ level: 'warn' });
  const external = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  let server: EmbeddedPostgres | null = null;
  let root: string | null = null;
  let pgbouncer: Pgbouncer | null = null;
  let adminUrl: string;
  if (external) {
    adminUrl = external;
  } else {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'aquifer-test-'));
    await fs.chmod(root, 0o755);
    const port = await freePort();
    server = await startEmbeddedPostgres({
      dataDir: path.join(root, 'pg'),
      port,
      logger,
      ephemeral: true,
      settings: { max_connections: '200' },
    });
    adminUrl = server.adminUrl;
    process.env[TEST_ENV.dataDir] = server.dataDir;
    process.env[TEST_ENV.port] = String(port);
  }

  // Recorded now: jest skips the tear-down when set-up fails, so the catch below stops what started.
  globalThis.__aquiferTestPostgres = { server, root, pgbouncer };
  try {
    await withSingleConnection(adminUrl, 'aquifer:test-setup', 10_000, async (db) => {
      await db.exec({ text: `DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)` });
      await db.exec({ text: `CREATE DATABASE ${TEMPLATE}` });
    });
    await withSingleConnection(withDatabase(adminUrl, TEMPLATE), 'aquifer:test-setup', 10_000, (db) =>
      migrate(db, logger),
    );
    if (throughPgbouncer()) {
      // Enough server connections for any one file's pools; PgBouncer's own limit is what is under test.
      pgbouncer = await startPgbouncer({ upstreamUrl: adminUrl, poolSize: 20 });
      globalThis.__aquiferTestPostgres.pgbouncer = pgbouncer;
      process.env[TEST_ENV.pgbouncerPort] = String(pgbouncer.port);
    }
  } catch (err) {
    await globalTeardown();
    throw err;
  }
  process.env[TEST_ENV.adminUrl] = adminUrl;
  process.env[TEST_ENV.templateDb] = TEMPLATE;
}

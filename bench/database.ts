/**
 * The bench's own embedded PostgreSQL (never the one `npm start` uses), migrated
 * and seeded to the requested size. Seeding is idempotent, so a re-run reuses
 * the data and starts measuring within seconds.
 */
import fs from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { generateApiKey } from '../server/auth/keys';
import { insertKey } from '../server/auth/queries';
import { withSingleConnection, type Db } from '../server/lib/db';
import { effectiveDataDir, startEmbeddedPostgres, type EmbeddedPostgres } from '../server/lib/embedded-postgres';
import type { Logger } from '../server/lib/logger';
import { migrate } from '../server/lib/migrate';
import { projectRoot } from '../server/lib/project-root';
import { seedDatabase, type SeedCounts, type SeedSize } from '../server/seed/seed';
import { freePort } from './ports';

export const BENCH_DATA_DIR = path.join(projectRoot(), '.data', 'bench-pg');
const CONNECT_TIMEOUT_MS = 30_000;

export interface BenchDatabase {
  readonly url: string;
  readonly embedded: EmbeddedPostgres;
  /**
   * Runs `fn` on a short-lived connection of the bench's own (application_name bench:<name>);
   * `queryTimeoutMs` bounds each statement (0: no bound, for seeding and VACUUM).
   */
  connect<T>(name: string, fn: (db: Db) => Promise<T>, queryTimeoutMs?: number): Promise<T>;
  /** Stops the server, unless it was already running when the bench started (then it is not ours). */
  stop(): Promise<void>;
}

export interface BenchDatabaseOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** Enough for every contender's pools at once plus the bench's own connections. */
  readonly maxConnections: number;
}

/** The port of a server already running on `dataDir` (its postmaster.pid names it), or null. */
async function runningPort(dataDir: string): Promise<number | null> {
  const lines = await fs.readFile(path.join(await effectiveDataDir(dataDir), 'postmaster.pid'), 'utf8').then(
    (text) => text.split('\n'),
    () => null,
  );
  const [pid, port] = [Number(lines?.[0]), Number(lines?.[3])];
  if (!lines || !(pid > 0) || !(port > 0)) return null;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return null; // a stale file: the server is gone and will be started afresh
  }
}

export async function startBenchDatabase(opts: BenchDatabaseOptions): Promise<BenchDatabase> {
  // A server left running (a killed bench, or someone's own session) is adopted on its port, not fought over.
  const port = (await runningPort(opts.dataDir)) ?? (await freePort());
  const embedded = await startEmbeddedPostgres({
    dataDir: opts.dataDir,
    port,
    logger: opts.logger,
    settings: { max_connections: String(opts.maxConnections) },
  });
  const url = embedded.url;
  return {
    url,
    embedded,
    connect: (name, fn, queryTimeoutMs = 0) =>
      withSingleConnection(url, `bench:${name}`, CONNECT_TIMEOUT_MS, fn, { queryTimeoutMs }),
    stop: async () => {
      if (!embedded.adopted) await embedded.stop('fast');
    },
  };
}

/** Migrates, then adds whatever part of the data set is missing. */
export async function prepareBenchData(
  database: BenchDatabase,
  size: Omit<SeedSize, 'contacts'>,
  logger: Logger,
): Promise<{ seconds: number; added: SeedCounts }> {
  const started = performance.now();
  const jobs = Math.min(4, availableParallelism());
  const added = await database.connect('seed', async (first) => {
    await migrate(first, logger);
    const open = (dbs: Db[]): Promise<SeedCounts> =>
      dbs.length >= jobs
        ? seedDatabase(dbs as [Db, ...Db[]], { ...size, contacts: Math.ceil(size.wells / 25) })
        : database.connect('seed', (db) => open([...dbs, db]));
    return open([first]);
  });
  return { seconds: (performance.now() - started) / 1000, added };
}

/** A new key of `scope` for the bench's writes; the old ones are revoked so they do not pile up. */
export async function benchKey(database: BenchDatabase, scope: 'write' | 'admin'): Promise<string> {
  const { key, prefix, hash } = generateApiKey();
  await database.connect('keys', async (db) => {
    await db.exec({ text: "UPDATE api_keys SET revoked_at = now() WHERE name = 'bench' AND revoked_at IS NULL" });
    await insertKey(db, { name: 'bench', scope, prefix, hash });
  });
  return key;
}

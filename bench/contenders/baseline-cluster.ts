/**
 * What every baseline shares: the process layout (a primary forking N workers
 * that share one port, as the app does) and the same pool and statement as the
 * app's point lookup. A baseline is a peer a user might pick instead of
 * aquifer, so it imports pg itself; it is not part of the app.
 */
import cluster from 'node:cluster';
import pg from 'pg';
import { toWellDto } from '../../server/wells/routes';
import { findWellStatement, type WellRow } from '../../server/wells/queries';

export interface BaselineSettings {
  readonly port: number;
  readonly workers: number;
  /** Each worker's pool, the same as each app worker's share. */
  readonly poolSize: number;
  readonly databaseUrl: string;
  /** Where a baseline that logs writes its log (the Fastify one does; the bare ones do not log). */
  readonly logFile: string;
  readonly preparedStatements: boolean;
}

/** The settings come as one JSON argument: `node baseline.js '{"port":…}'`. */
export function readSettings(): BaselineSettings {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: node <baseline>.js \'{"port":…,"workers":…}\'');
  return JSON.parse(raw) as BaselineSettings;
}

/** One pool per worker, sized and named like the app's, with the same acquire timeout. */
export function createBaselinePool(settings: BaselineSettings, name: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: settings.databaseUrl,
    max: settings.poolSize,
    application_name: `bench:${name}`,
    connectionTimeoutMillis: 3_000,
  });
  pool.on('error', () => {
    // An idle connection died; the next query opens another.
  });
  return pool;
}

/** The app's statement (named, so prepared, when the app's default is on) and the app's response body. */
export async function lookUpWell(pool: pg.Pool, id: string, prepared: boolean): Promise<string | null> {
  const { name, text, values } = findWellStatement(id);
  const result = await pool.query<WellRow>(
    prepared ? { name, text, values: [...values] } : { text, values: [...values] },
  );
  const row = result.rows[0];
  return row === undefined ? null : JSON.stringify(toWellDto(row));
}

/** Forks the workers from the primary; in a worker, runs `serve`. A dead worker is not replaced. */
export function runBaselineCluster(serve: (settings: BaselineSettings) => Promise<void>): void {
  const settings = readSettings();
  if (cluster.isPrimary) {
    for (let i = 0; i < settings.workers; i++) cluster.fork();
    const stop = () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
      setTimeout(() => process.exit(0), 2_000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
    return;
  }
  serve(settings).catch((err: unknown) => {
    process.stderr.write(`baseline worker failed: ${String(err)}\n`);
    process.exit(1);
  });
}

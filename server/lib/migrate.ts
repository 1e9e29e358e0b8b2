import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db } from './db';
import type { Logger } from './logger';
import { projectRoot } from './project-root';

export const MIGRATIONS_DIR = path.join(projectRoot(), 'migrations');

/** Migration files in the order they apply: NNNN_name.sql, sorted by name. */
export async function migrationFiles(dir: string = MIGRATIONS_DIR): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
}

/**
 * Applies pending migrations, each in its own transaction, under a session
 * advisory lock so hosts starting together apply each file exactly once.
 * `db` must be a single connection (withSingleConnection), since the lock and
 * the transactions are per session.
 */
export async function migrate(db: Db, logger: Logger, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  await db.exec({ text: "SET lock_timeout = '60s'" });
  await db.exec({ text: 'SET statement_timeout = 0' });
  await db.exec({ text: "SELECT pg_advisory_lock(hashtext('aquifer.migrations'))" });
  try {
    await db.exec({
      text: `CREATE TABLE IF NOT EXISTS schema_migrations (
               version    text PRIMARY KEY,
               applied_at timestamptz NOT NULL DEFAULT now())`,
    });
    const done = new Set(
      (await db.many<{ version: string }>({ text: 'SELECT version FROM schema_migrations' })).map((r) => r.version),
    );
    const applied: string[] = [];
    for (const file of await migrationFiles(dir)) {
      if (done.has(file)) continue;
      const sql = await fs.readFile(path.join(dir, file), 'utf8');
      await db.exec({ text: 'BEGIN' });
      try {
        await db.exec({ text: sql });
        await db.exec({ text: 'INSERT INTO schema_migrations (version) VALUES ($1)', values: [file] });
        await db.exec({ text: 'COMMIT' });
      } catch (err) {
        await db.exec({ text: 'ROLLBACK' }).catch(() => undefined);
        throw new Error(`migration ${file} failed`, { cause: err });
      }
      logger.info({ migration: file }, 'migration applied');
      applied.push(file);
    }
    return applied;
  } finally {
    await db.exec({ text: "SELECT pg_advisory_unlock(hashtext('aquifer.migrations'))" }).catch(() => undefined);
  }
}

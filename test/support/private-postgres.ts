import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { withSingleConnection, type Db } from '../../server/lib/db';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../server/lib/embedded-postgres';
import { migrate } from '../../server/lib/migrate';
import type { TestDatabase } from './database';
import { holdTransaction } from './held-transaction';
import { freePort } from './ports';
import { waitFor } from './wait-for';

/** No test freezes PostgreSQL longer than this. */
const FREEZE_WATCHDOG_S = 30;

/** Not `aquifer:…`: the test's own sessions must never match the patterns the faults aim at the app. */
const TEST_APP_NAME = 'faults:test';

/**
 * A TestDatabase (so issueKey and the like take it) whose `url` and `directUrl`
 * are both the migrated application database (no PgBouncer in front: the faults
 * aim at PostgreSQL itself), `name` its name and `drop` the same as `destroy`;
 * plus the fault controls.
 */
export interface PrivatePostgres extends TestDatabase {
  /**
   * Stops the server as pg_ctl would (SIGINT: fast, SIGQUIT: immediate, which is a crash as far
   * as the data is concerned) and resolves once the postmaster is gone. Signalled from here,
   * so the fault starts when the caller says, not after pg_ctl has been spawned on a busy machine.
   */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again; resolves once it accepts connections (after crash recovery, if any). */
  start(): Promise<void>;
  /**
   * SIGSTOPs the postmaster and then every child; resolves with how many processes were stopped.
   * A detached watchdog continues them after FREEZE_WATCHDOG_S whatever happens to the test.
   */
  freeze(): Promise<number>;
  /** SIGCONTs every process `freeze` stopped (and any child it finds now). */
  thaw(): Promise<void>;
  /** pg_terminate_backend on every other backend whose application_name is LIKE `pattern`; resolves with the count. */
  terminate(pattern: string): Promise<number>;
  /** Locks well `id` FOR UPDATE in a transaction on a connection of its own; resolves once held, with its release. */
  lockWell(id: string): Promise<() => Promise<void>>;
  /** Backends now waiting on a lock, by application_name, among those LIKE `pattern`. */
  blockedOnLocks(pattern: string): Promise<Record<string, number>>;
  /** Thaws if frozen, stops at once and removes the data folder. Safe to call twice. */
  destroy(): Promise<void>;
}

/**
 * Pids of `parent`'s children. Synchronous on purpose: under load each awaited /proc read
 * waits for a turn of a busy event loop (a scan took seconds), while the postmaster is
 * already stopped and its backends still serve.
 */
function childrenOf(parent: number): number[] {
  try {
    // One file listing them all (kernels with CONFIG_PROC_CHILDREN; the postmaster forks from its main thread).
    return readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    // Otherwise each process's stat names its parent (field 4; field 2, the name, may hold spaces).
    const statOf = (pid: string) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return ''; // the process exited meanwhile
      }
    };
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        const stat = statOf(entry);
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
      })
      .map(Number);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    // A backend that exited meanwhile is no longer ours to stop or continue.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * A PostgreSQL of the test file's own, so stopping, freezing or killing its
 * backends never disturbs the shared server the other files use. Its
 * `aquifer` database is migrated.
 */
export async function startPrivatePostgres(label: string): Promise<PrivatePostgres> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `aquifer-${label}-`));
  // The server runs as the OS user `postgres`, which must be able to enter the folder.
  await fs.chmod(root, 0o755);
  const logger = pino({ level: 'warn' });
  let server: EmbeddedPostgres;
  try {
    server = await startEmbeddedPostgres({
      dataDir: path.join(root, 'pg'),
      port: await freePort(),
      logger,
      ephemeral: true,
      // ephemeral turns synchronous_commit off, and then a 201 may precede the commit's WAL write:
      // an immediate shutdown could lose an acknowledged write. fsync stays off: the OS does not crash.
      settings: { synchronous_commit: 'on' },
    });
  } catch (err) {
    await fs.rm(root, { recursive: true, force: true });
    throw err;
  }
  // Read once per start, so a fault is signalled the moment it is asked for, with no file read first.
  let postmaster = 0;
  let frozen: number[] = [];
  let watchdog: ChildProcess | null = null;
  let destroyed = false;
  const query = <T>(fn: (db: Db) => Promise<T>) =>
    withSingleConnection(server.url, TEST_APP_NAME, 10_000, fn, { queryTimeoutMs: 10_000 });

  const thaw = async () => {
    if (frozen.length === 0) return;
    // Children forked while stopping raced the postmaster's SIGSTOP; continue them too.
    const all = new Set([...frozen, ...childrenOf(postmaster)]);
    for (const pid of all) if (pid !== postmaster) signal(pid, 'SIGCONT');
    signal(postmaster, 'SIGCONT');
    frozen = [];
    // Its whole group (it leads one, being detached), so no orphaned sleep lingers.
    if (watchdog?.pid !== undefined) signal(-watchdog.pid, 'SIGTERM');
    watchdog = null;
  };
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    await thaw();
    await server.stop('immediate').catch(() => undefined);
    await fs.rm(root, { recursive: true, force: true });
  };

  try {
    postmaster = await server.postmasterPid();
    await withSingleConnection(server.url, TEST_APP_NAME, 10_000, (db) => migrate(db, logger));
  } catch (err) {
    await destroy();
    throw err;
  }

  return {
    name: new URL(server.url).pathname.slice(1),
    url: server.url,
    directUrl: server.url,
    query,
    async stop(mode) {
      signal(postmaster, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
      // The postmaster removes its pid file as it exits; pg_ctl stop waits for the same.
      const pidFile = path.join(server.dataDir, 'postmaster.pid');
      await waitFor(() => !existsSync(pidFile), 60_000).catch(() => {
        throw new Error(`PostgreSQL did not stop (${mode}) within 60 s`);
      });
    },
    async start() {
      await server.start();
      postmaster = await server.postmasterPid();
    },
    async freeze() {
      if (frozen.length > 0) throw new Error('already frozen');
      // The postmaster first, so it forks no backend after the children are listed.
      signal(postmaster, 'SIGSTOP');
      frozen = [postmaster];
      for (const pid of childrenOf(postmaster)) {
        signal(pid, 'SIGSTOP');
        frozen.push(pid);
      }
      // Outlives this process: if the runner dies mid-freeze, PostgreSQL is not left stopped for good.
      watchdog = spawn('sh', ['-c', `sleep ${FREEZE_WATCHDOG_S}; kill -CONT ${frozen.join(' ')} 2>/dev/null`], {
        detached: true,
        stdio: 'ignore',
      });
      watchdog.unref();
      return frozen.length;
    },
    thaw,
    async terminate(pattern) {
      const row = await query((db) =>
        db.one<{ n: number }>({
          text: `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
                 WHERE application_name LIKE $1 AND pid <> pg_backend_pid()`,
          values: [pattern],
        }),
      );
      return row.n;
    },
    lockWell(id) {
      return holdTransaction(server.url, 'faults:lock', [
        { text: 'SELECT id FROM wells WHERE id = $1 FOR UPDATE', values: [id] },
      ]);
    },
    async blockedOnLocks(pattern) {
      const rows = await query((db) =>
        db.many<{ app: string; n: number }>({
          text: `SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity
                 WHERE application_name LIKE $1 AND wait_event_type = 'Lock' GROUP BY 1`,
          values: [pattern],
        }),
      );
      return Object.fromEntries(rows.map((r) => [r.app, r.n]));
    },
    destroy,
    drop: destroy,
  };
}

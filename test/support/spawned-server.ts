import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export type LogLine = Record<string, unknown> & { msg?: string };

export interface SpawnedServer {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  /** Lines that were not JSON (stderr and anything else), for failure messages. */
  readonly rawOutput: string[];
  /** Resolves with the first log line (past or future) matching `match`; rejects after `timeoutMs`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const ROOT = path.resolve(__dirname, '..', '..');
export const BUILT_ENTRY = path.join(ROOT, 'dist', 'server', 'primary.js');

/** Spawns the built primary (`node dist/server/primary.js`) the way an operator runs it. */
export function spawnServer(env: Record<string, string>): SpawnedServer {
  if (!fs.existsSync(BUILT_ENTRY)) throw new Error(`${BUILT_ENTRY} is missing: run "npm run build" first`);
  const child = spawn(process.execPath, [BUILT_ENTRY], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const rawOutput: string[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const onLine = (line: string) => {
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      rawOutput.push(line);
      return;
    }
    logs.push(parsed);
    for (const w of [...waiters]) {
      if (w.match(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  };
  readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
  readline.createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', onLine);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  return {
    child,
    logs,
    rawOutput,
    waitForLog(match, timeoutMs) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${tail(logs, rawOutput)}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    waitForExit(timeoutMs) {
      return Promise.race([
        exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms`)), timeoutMs).unref(),
        ),
      ]);
    },
  };
}

function tail(logs: LogLine[], raw: string[]): string {
  return [...logs.slice(-8).map((l) => JSON.stringify(l)), ...raw.slice(-8)].join('\n');
}

/** Kills the process if a test left it running. */
export async function ensureStopped(server: SpawnedServer | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGKILL');
  await server.waitForExit(5_000).catch(() => undefined);
}

/**
 * Spawns the primary over `databaseUrl` on 127.0.0.1:`port`, without sample
 * data, and resolves once it has logged `aquifer ready`.
 */
export async function startReadyServer(
  databaseUrl: string,
  port: number,
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
): Promise<SpawnedServer> {
  const server = spawnServer({
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    DB_SAMPLE_DATA: 'false',
    ...env,
  });
  try {
    await server.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'), readyTimeoutMs);
  } catch (err) {
    // Never ready: nobody else holds it to stop it.
    await ensureStopped(server);
    throw err;
  }
  return server;
}

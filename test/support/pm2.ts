import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..', '..');
const PM2 = path.join(ROOT, 'node_modules', '.bin', 'pm2');
const run = promisify(execFile);

export interface Pm2Process {
  readonly pid: number;
  readonly pm2_env: { readonly status: string };
}

/** A pm2 daemon of the test's own, in a private PM2_HOME, so the machine's daemon (~/.pm2) is never touched. */
export interface PrivatePm2 {
  readonly home: string;
  /** Every variable the daemon and its processes see. */
  readonly env: Readonly<Record<string, string>>;
  /** Runs the pm2 CLI from the project root; bounded by `timeoutMs`. */
  run(args: readonly string[], timeoutMs?: number): Promise<string>;
  list(): Promise<Pm2Process[]>;
  /** Kills the daemon and its processes, and removes the home. Never throws. */
  kill(): Promise<void>;
}

export async function privatePm2(env: Record<string, string>): Promise<PrivatePm2> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'aquifer-pm2-'));
  // pm2 checks for a newer version over the network on a PM2_HOME's first use unless this file exists.
  await fs.writeFile(path.join(home, 'touch'), String(Date.now()));
  const fullEnv = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    PM2_HOME: home,
    PM2_DISABLE_VERSION_CHECK: 'true',
    NODE_ENV: 'test',
    ...env,
  };
  const pm2 = async (args: readonly string[], timeoutMs = 60_000) =>
    (await run(PM2, [...args], { cwd: ROOT, env: fullEnv, timeout: timeoutMs })).stdout;
  return {
    home,
    env: fullEnv,
    run: pm2,
    list: async () => JSON.parse(await pm2(['jlist'], 10_000)) as Pm2Process[],
    kill: async () => {
      const killed = await pm2(['kill'], 20_000).then(
        () => true,
        () => false,
      );
      // Its pid file goes with the home: a daemon that did not stop is killed before that. Its cluster
      // instances exit when their IPC channel to it closes.
      if (!killed) {
        const pid = Number(await fs.readFile(path.join(home, 'pm2.pid'), 'utf8').catch(() => ''));
        try {
          if (pid > 0) process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}

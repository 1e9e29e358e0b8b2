/** The machine a run measured, for the report: CPU, memory, Node, PostgreSQL, and the code's commit. */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { projectRoot } from '../server/lib/project-root';
import type { BenchDatabase } from './database';
import type { MachineJson } from './result';
import { round2 } from './stats';

const run = promisify(execFile);
const GIT_TIMEOUT_MS = 5_000;

/** `git` output in the checkout, or null (no git, not a checkout, or too slow). */
async function git(args: string[]): Promise<string | null> {
  try {
    return (await run('git', args, { cwd: projectRoot(), timeout: GIT_TIMEOUT_MS })).stdout.trim();
  } catch {
    return null;
  }
}

export async function describeMachine(database: BenchDatabase): Promise<MachineJson> {
  const postgres = await database.connect(
    'facts',
    async (db) => (await db.one<{ server_version: string }>({ text: 'SHOW server_version' })).server_version,
    5_000,
  );
  const commit = await git(['rev-parse', 'HEAD']);
  const status = commit === null ? null : await git(['status', '--porcelain', '--untracked-files=no']);
  const cpus = os.cpus();
  return {
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    total_memory_mb: Math.round(os.totalmem() / 1_048_576),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres,
    git_commit: commit,
    git_dirty: status === null ? null : status !== '',
    load_average_before: os.loadavg().map(round2),
  };
}

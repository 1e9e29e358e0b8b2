/**
 * Starting and stopping the contenders as separate process trees, each logging
 * to its own file, and waiting (bounded) until they answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../server/lib/project-root';
import type { BaselineSettings } from './contenders/baseline-cluster';

export interface RunningContender {
  readonly name: string;
  readonly origin: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export interface RunningApp extends RunningContender {
  /** The host-wide Prometheus scrape (METRICS_PORT). */
  readonly metricsUrl: string;
  /** The live workers' pids, from the primary's `worker ready` log lines (the latest per worker index). */
  workerPids(): number[];
}

/** Every process tree started and not yet stopped, so an interrupted bench can stop them all. */
const running = new Set<ChildProcess>();

const DIST = path.join(projectRoot(), 'dist');
const READY_TIMEOUT_MS = 90_000;
/** The apps' HTTP_REQUEST_TIMEOUT_MS: 15 minutes, room for the largest bulk upload. */
export const APP_REQUEST_TIMEOUT_MS = 900_000;
const STOP_TIMEOUT_MS = 20_000;

/** Polls `url` until it answers 200, or throws after READY_TIMEOUT_MS or when the process exits. */
async function waitUntilAnswering(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}); see ${logFile}`);
    }
    const status = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(250);
  }
  throw new Error(`${url} did not answer 200 within ${READY_TIMEOUT_MS} ms; see ${logFile}`);
}

function launch(name: string, args: string[], env: Record<string, string>, logFile: string): ChildProcess {
  const out = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, args, {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', (err) => process.stderr.write(`${name}: ${err.message}\n`));
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    running.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const inTime = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
  if (!inTime) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Stops every process tree still running (the primaries drain and stop their own workers), all at once. */
export async function stopAllContenders(): Promise<void> {
  await Promise.all([...running].map(stopChild));
}

/** Waits (bounded) for the app's primary to log `worker ready` for each of its workers. */
async function waitForWorkers(app: RunningApp, workers: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (app.workerPids().length < workers) {
    if (Date.now() > deadline) {
      throw new Error(`${app.name}: ${workers} workers not ready within ${READY_TIMEOUT_MS} ms; see ${app.logFile}`);
    }
    if (app.child.exitCode !== null || app.child.signalCode !== null) {
      throw new Error(`${app.name} exited; see ${app.logFile}`);
    }
    await sleep(100);
  }
}

/** `worker ready` lines of a primary's log: the latest pid of each worker index. */
export function readyWorkerPids(log: string): number[] {
  const byIndex = new Map<number, number>();
  for (const line of log.split('\n')) {
    if (!line.includes('"worker ready"')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; worker?: number; workerPid?: number };
      if (entry.msg === 'worker ready' && typeof entry.worker === 'number' && typeof entry.workerPid === 'number') {
        byIndex.set(entry.worker, entry.workerPid);
      }
    } catch {
      // Not a log line of ours (e.g. a stack trace): skip it.
    }
  }
  return [...byIndex.values()];
}

/** Enough of an app's log to hold its start-up lines, however long the run. */
const LOG_HEAD_BYTES = 1 << 20;

/** The first `bytes` of a file (all of it if shorter). */
function readHead(file: string, bytes: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = fs.readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export interface AppOptions {
  readonly name: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly workers: number;
  /** DB_CONNECTION_BUDGET: split evenly among the workers. */
  readonly budget: number;
  /** DB_ACQUIRE_TIMEOUT_MS, set explicitly so the overload verdict knows the value the app used. */
  readonly acquireTimeoutMs: number;
  /** APP_NAME: the prefix of the pools' application_name, so two apps' connections can be told apart. */
  readonly appName: string;
  readonly databaseUrl: string;
  readonly logDir: string;
}

/**
 * The app as an operator runs it: `node dist/server/primary.js`, production settings, logs to a
 * file. Resolves once every worker is ready; a start that fails stops what it started.
 */
export async function startApp(opts: AppOptions): Promise<RunningApp> {
  const logFile = path.join(opts.logDir, `${opts.name}.log`);
  const child = launch(
    opts.name,
    [path.join(DIST, 'server', 'primary.js')],
    {
      NODE_ENV: 'production',
      DATABASE_URL: opts.databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(opts.port),
      METRICS_PORT: String(opts.metricsPort),
      WEB_CONCURRENCY: String(opts.workers),
      DB_CONNECTION_BUDGET: String(opts.budget),
      DB_ACQUIRE_TIMEOUT_MS: String(opts.acquireTimeoutMs),
      APP_NAME: opts.appName,
      DB_SAMPLE_DATA: 'false',
      LOG_LEVEL: 'info',
      // The 1,000,000-row upload must fit inside one request.
      HTTP_REQUEST_TIMEOUT_MS: String(APP_REQUEST_TIMEOUT_MS),
    },
    logFile,
  );
  const app: RunningApp = {
    name: opts.name,
    origin: `http://127.0.0.1:${opts.port}`,
    metricsUrl: `http://127.0.0.1:${opts.metricsPort}/metrics`,
    logFile,
    child,
    stop: () => stopChild(child),
    // The "worker ready" lines come first; the rest of the file is every request's access line.
    workerPids: () => readyWorkerPids(readHead(logFile, LOG_HEAD_BYTES)),
  };
  try {
    await waitUntilAnswering(`${app.origin}/readyz`, child, logFile);
    await waitForWorkers(app, opts.workers);
  } catch (err) {
    await app.stop();
    throw err;
  }
  return app;
}

/** The baselines' scripts in bench/contenders (built to dist/bench/contenders/<script>.js). */
export type BaselineScript = 'raw-http' | 'fastify-server' | 'express-bare';

/** A baseline from bench/contenders, started with the same workers and pool size as the app. */
export async function startBaseline(
  name: string,
  script: BaselineScript,
  settings: Omit<BaselineSettings, 'logFile'> & { readonly logDir: string },
): Promise<RunningContender> {
  const { logDir, ...rest } = settings;
  const logFile = path.join(logDir, `${name}.log`);
  const child = launch(
    name,
    // The Fastify baseline's own pino logger writes to a file of its own, next to the process output.
    [
      path.join(DIST, 'bench', 'contenders', `${script}.js`),
      JSON.stringify({ ...rest, logFile: `${logFile}.requests` }),
    ],
    { NODE_ENV: 'production' },
    logFile,
  );
  const origin = `http://127.0.0.1:${settings.port}`;
  try {
    await waitUntilAnswering(`${origin}/api/v1/wells/1`, child, logFile);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { name, origin, logFile, child, stop: () => stopChild(child) };
}

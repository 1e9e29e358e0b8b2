import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, workerStopTimeoutMs } from '../../config';
import { DEFAULT_SAMPLE_SIZE, loadSampleDataOnce } from '../../server/seed/sample';
import { sampleActivity, type ActivitySample } from '../support/activity';
import { issueKey } from '../support/api-keys';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { privatePm2, type PrivatePm2 } from '../support/pm2';
import { freePort } from '../support/ports';
import { reportFigures } from '../support/report';
import type { LogLine } from '../support/spawned-server';
import {
  failedRequests,
  readWriteMix,
  startedPerS,
  startTracedLoad,
  type TracedLoadResult,
} from '../support/traced-load';
import { waitFor } from '../support/wait-for';

jest.setTimeout(180_000);

const RELOADS = 5;
const INSTANCES = 2;
/**
 * Each pool is floor(8 / (2 instances + PM2_RELOAD_PARALLEL 2)) = 2. pm2 7 replaces one at a time when an
 * app has two instances or fewer, so 3 processes (6 connections) overlap at most.
 */
const BUDGET = 8;

let database: TestDatabase;
let pm2: PrivatePm2 | undefined;

beforeAll(async () => {
  database = await createTestDatabase('pm2_reload');
  await database.query((db) => loadSampleDataOnce(db, { ...DEFAULT_SAMPLE_SIZE, wells: 400 }));
  pm2 = await privatePm2({
    // A database URL: the ecosystem runs no embedded database app.
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    WEB_CONCURRENCY: String(INSTANCES),
    DB_CONNECTION_BUDGET: String(BUDGET),
    DB_SAMPLE_DATA: 'false',
    DB_IDLE_TIMEOUT_MS: '30000',
    // No request may fail, so none may be shed while one instance carries everything.
    DB_ACQUIRE_TIMEOUT_MS: '15000',
  });
});
afterAll(async () => {
  // Always, and bounded: the daemon and its instances must not outlive the test.
  await pm2?.kill();
  await database?.drop();
});

const online = async (daemon: PrivatePm2) => (await daemon.list()).filter((p) => p.pm2_env.status === 'online');

/** Every JSON line the instances wrote (pm2 keeps one out and one error file per instance id). */
async function instanceLogs(home: string): Promise<LogLine[]> {
  const dir = path.join(home, 'logs');
  const lines: LogLine[] = [];
  for (const file of await fs.readdir(dir)) {
    for (const line of (await fs.readFile(path.join(dir, file), 'utf8')).split('\n')) {
      if (line.startsWith('{')) lines.push(JSON.parse(line) as LogLine);
    }
  }
  return lines;
}

it('pm2 reload of ecosystem.config.js, 5 times under keep-alive load: 0 failed requests, every old instance drains', async () => {
  const daemon = pm2 as PrivatePm2;
  await daemon.run(['start', 'ecosystem.config.js'], 90_000);
  await waitFor(async () => (await online(daemon)).length === INSTANCES, 30_000);
  const port = Number(daemon.env.PORT);
  const writeKey = await issueKey(database, 'write');
  const firstPids = (await online(daemon)).map((p) => p.pid);
  // Nothing awaited between starting these and the try that stops them, so no failure leaves them running.
  const sampler = sampleActivity(database.url, database.name, 'aquifer:%', 100);
  const load = startTracedLoad({
    port,
    nextRequest: readWriteMix(writeKey, 400, 'PM2'),
    // Enough loops that the rate, not the answers' latency, sets the pace on a busy machine
    // (12 loops reached only 180/s beside another test).
    concurrency: 32,
    // "A few hundred requests/s", reads and writes.
    ratePerS: 250,
    durationMs: 150_000,
    maxRequests: 100_000,
    keepAlive: true,
    idPrefix: 'pm2',
  });
  const reloads: { ms: number; pids: number[] }[] = [];
  let result: TracedLoadResult;
  let samples: ActivitySample[];
  try {
    await sleep(1_000);
    for (let i = 0; i < RELOADS; i++) {
      const startedAt = Date.now();
      await daemon.run(['reload', 'ecosystem.config.js'], 90_000);
      const now = await online(daemon);
      reloads.push({ ms: Date.now() - startedAt, pids: now.map((p) => p.pid) });
      await sleep(500);
    }
  } finally {
    result = await load.stop();
    samples = await sampler.stop();
  }
  const logs = await instanceLogs(daemon.home);
  const daemonLog = await fs.readFile(path.join(daemon.home, 'pm2.log'), 'utf8');
  const failed = failedRequests(result, [200, 201]);
  const drains = logs
    .filter((l) => l.msg === 'draining')
    .map((d) => {
      const stopped = logs.find((l) => l.msg === 'worker stopped' && l.pid === d.pid);
      return {
        pid: d.pid,
        reason: d.reason,
        ms: stopped ? Date.parse(stopped.time as string) - Date.parse(d.time as string) : null,
      };
    });
  const killTimeoutMs = workerStopTimeoutMs(loadConfig(daemon.env));
  const requestsPerS = startedPerS(result);
  reportFigures('pm2 reload under load, 5 times', {
    reloads: reloads.map((r) => r.ms),
    requests: result.requests.length,
    requestsPerS,
    statuses: result.statuses,
    errors: result.errors,
    failed: failed.slice(0, 5).map((r) => ({ id: r.id, error: r.error ?? r.status, reused: r.reusedSocket })),
    drainsMs: drains.map((d) => d.ms),
    killTimeoutMs,
    sigkills: (daemonLog.match(/SIGKILL/g) ?? []).length,
    samples: samples.length,
    maxConnections: Math.max(...samples.map((s) => s.total)),
  });

  expect(reloads).toHaveLength(RELOADS);
  // Every reload replaced both instances with new processes.
  const seen = new Set(firstPids);
  for (const r of reloads) {
    expect(r.pids).toHaveLength(INSTANCES);
    for (const pid of r.pids) expect(seen.has(pid)).toBe(false);
    for (const pid of r.pids) seen.add(pid);
  }
  // Each old instance drained on pm2's SIGINT and stopped itself, within the kill timeout pm2 was given.
  expect(drains).toHaveLength(RELOADS * INSTANCES);
  for (const d of drains) {
    expect(d.reason).toBe('SIGINT');
    expect(d.ms).not.toBeNull();
    expect(d.ms as number).toBeLessThan(killTimeoutMs);
  }
  expect(daemonLog).not.toMatch(/SIGKILL|could not be stopped/);
  expect(
    logs.filter((l) => /pool still had clients|pool did not end cleanly|shutdown timeout/.test(String(l.msg))),
  ).toEqual([]);
  // Not one request failed across the five reloads.
  expect(failed).toEqual([]);
  expect(requestsPerS).toBeGreaterThanOrEqual(200);
  expect(result.statuses[200]).toBeGreaterThan(300);
  expect(result.statuses[201]).toBeGreaterThan(100);
  // The pools are sized for the reload overlap: the budget held at every sample.
  expect(samples.length).toBeGreaterThan(100);
  expect(Math.max(...samples.map((s) => s.total))).toBeLessThanOrEqual(BUDGET);
});

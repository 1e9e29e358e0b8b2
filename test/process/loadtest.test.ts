import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LoadTestJson } from '../../server/loadtest/result';
import { DEFAULT_SAMPLE_SIZE, loadSampleDataOnce } from '../../server/seed/sample';
import { issueKey } from '../support/api-keys';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/ports';
import { reportFigures } from '../support/report';
import { ensureStopped, spawnServer, type SpawnedServer } from '../support/spawned-server';

// Bounded: server start-up plus two 2 s steps take about 10 s here.
jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'scripts', 'loadtest.js');
const WORKERS = 2;
const BUDGET = 6;
/** Two steps of 2 s: the run itself takes about 5 s, bounded by the timeout below. */
const STEPS = [2, 8];

let database: TestDatabase;
let server: SpawnedServer | undefined;
let outDir: string;

beforeAll(async () => {
  database = await createTestDatabase('loadtest');
  await database.query((db) => loadSampleDataOnce(db, DEFAULT_SAMPLE_SIZE));
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aquifer-loadtest-'));
});
afterAll(async () => {
  await ensureStopped(server);
  await database.drop();
  fs.rmSync(outDir, { recursive: true, force: true });
});

const execNode = promisify(execFile);

/** Runs the built CLI as an operator would (`node dist/scripts/loadtest.js …`), bounded by a timeout. */
async function loadtest(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run "npm run build" first`);
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  try {
    return { code: 0, ...(await execNode(process.execPath, [ENTRY, ...args], { cwd: ROOT, env, timeout: 30_000 })) };
  } catch (err) {
    const failed = err as { code?: unknown; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

it('refuses a target off this machine before sending anything', async () => {
  const result = await loadtest(['--url', 'http://192.0.2.1:3000', '--api-key', 'x']);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/not loopback: pass --allow-remote/);
});

it('ramps two steps against the real server and writes the JSON and a self-contained HTML report', async () => {
  const [port, metricsPort] = [await freePort(), await freePort()];
  // Two workers sharing a small budget, with the host-wide scrape on its own port as under npm start.
  const numbers = { PORT: port, METRICS_PORT: metricsPort, WEB_CONCURRENCY: WORKERS, DB_CONNECTION_BUDGET: BUDGET };
  server = spawnServer({
    ...Object.fromEntries(Object.entries(numbers).map(([name, value]) => [name, String(value)])),
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    DB_SAMPLE_DATA: 'false',
  });
  await server.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'), 30_000);
  const admin = await issueKey(database, 'admin');

  const started = Date.now();
  const result = await loadtest([
    '--url',
    `http://127.0.0.1:${port}`,
    '--api-key',
    admin,
    '--steps',
    STEPS.join(','),
    '--step-seconds',
    '2',
    '--out',
    outDir,
    '--json',
  ]);
  const seconds = (Date.now() - started) / 1000;
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });

  const printed = JSON.parse(result.stdout) as LoadTestJson & { files: { json: string; html: string } };
  const written = JSON.parse(fs.readFileSync(printed.files.json, 'utf8')) as LoadTestJson;
  expect(path.dirname(printed.files.json)).toBe(outDir);
  expect(path.basename(printed.files.json)).toMatch(/^loadtest-\d{4}-\d\d-\d\dT[\d-]+Z\.json$/);
  expect(written.steps).toEqual(printed.steps);

  expect(written.steps.map((s) => s.concurrency)).toEqual(STEPS);
  for (const step of written.steps) {
    expect(step.requests).toBeGreaterThan(0);
    expect(step.requests_per_s).toBeGreaterThan(0);
    for (const p of ['p50', 'p95', 'p99'] as const) expect(step.latency_ms[p]).toBeGreaterThan(0);
    expect(step.latency_ms.p50 as number).toBeLessThanOrEqual(step.latency_ms.p99 as number);
    // Writes answered 201: unique observed_at, so no 409s; and nothing failed.
    expect(step.by_kind.write.statuses).toEqual({ '201': step.by_kind.write.requests });
    expect(step.statuses['201']).toBeGreaterThan(0);
    expect(step.statuses['409']).toBeUndefined();
    expect(Object.values(step.statuses).reduce((a, b) => a + b, 0)).toBe(step.requests);
    expect(step.pool.samples).toBeGreaterThan(0);
    expect(step.pool.budget).toBe(BUDGET);
    expect(step.pool.workers).toBe(WORKERS);
    expect(step.pool.in_use_max).toBeLessThanOrEqual(BUDGET);
    expect(step.hold.hold_ms).toBeGreaterThan(0);
  }
  const p = written.prediction;
  expect(p.measured_rps).toBe(Math.max(...written.steps.map((s) => s.requests_per_s)));
  expect(p.hold_ms).toBeGreaterThan(0);
  // The planner's saturation: budget ÷ hold time.
  expect(p.predicted_rps).toBeCloseTo((BUDGET * 1000) / (p.hold_ms as number), 0);
  expect(p.ratio).toBeCloseTo((p.predicted_rps as number) / (p.measured_rps as number), 2);
  expect(typeof p.within_tolerance).toBe('boolean');
  expect(p.verdict.length).toBeGreaterThan(0);

  const html = fs.readFileSync(printed.files.html, 'utf8');
  expect(html).toMatch(/^<!DOCTYPE html>/);
  expect(html.match(/<svg /g)).toHaveLength(3);
  expect(html).not.toMatch(/https?:\/\//i);
  expect(html).not.toMatch(/<script|\bsrc=|\bhref=|url\(/i);

  reportFigures('loadtest (2 workers, budget 6)', {
    seconds: Math.round(seconds * 10) / 10,
    steps: written.steps.map((s) => ({
      concurrency: s.concurrency,
      rps: s.requests_per_s,
      p99: s.latency_ms.p99,
      inUseMax: s.pool.in_use_max,
      waitingMax: s.pool.waiting_max,
      holdMs: s.hold.hold_ms,
    })),
    predictedRps: p.predicted_rps,
    measuredRps: p.measured_rps,
    ratio: p.ratio,
    limitedBy: p.limited_by,
  });
});

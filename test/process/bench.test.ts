import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BenchJson, RunJson } from '../../bench/result';
import { reportFigures } from '../support/report';

// A --quick run takes about a minute here, and under 45 s with the shorter rounds below; the hard limit
// leaves room for a loaded machine.
const RUN_TIMEOUT_MS = 220_000;
jest.setTimeout(RUN_TIMEOUT_MS + 20_000);

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'bench', 'cli.js');
const execNode = promisify(execFile);

let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aquifer-bench-'));
  // The embedded PostgreSQL runs as `postgres` when we are root: it must reach its data folder.
  fs.chmodSync(root, 0o755);
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Runs the built CLI as an operator would; on the timeout it gets SIGTERM, which stops what it started. */
async function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run "npm run build" first`);
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  try {
    const out = await execNode(process.execPath, [ENTRY, ...args], {
      cwd: ROOT,
      env,
      timeout: RUN_TIMEOUT_MS,
      killSignal: 'SIGTERM',
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, ...out };
  } catch (err) {
    const failed = err as { code?: unknown; signal?: unknown; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: `${failed.stderr ?? ''}${failed.signal ? `\n(killed by ${String(failed.signal)})` : ''}`,
    };
  }
}

it('refuses bad arguments with exit 2 and the usage', async () => {
  const result = await bench(['--rounds', 'zero']);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/--rounds takes whole numbers/);
  expect(result.stderr).toMatch(/usage: npm run bench/);
});

it('runs every step with --quick and writes the JSON, the markdown and the SVG charts', async () => {
  const out = path.join(root, 'out');
  const started = Date.now();
  // Shorter than --quick's 2 s rounds and 4 s overload: this checks that every step runs and reports, not speed.
  const result = await bench([
    '--quick',
    '--round-seconds',
    '1',
    '--overload-seconds',
    '3',
    '--data-dir',
    path.join(root, 'pg'),
    '--out',
    out,
  ]);
  const seconds = (Date.now() - started) / 1000;
  expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });

  const json = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8')) as BenchJson;
  const stamped = fs.readdirSync(out).filter((f) => /^bench-[\dT-]+Z\.(json|md)$/.test(f));
  expect(stamped.sort().map((f) => path.extname(f))).toEqual(['.json', '.md']);
  expect(fs.readFileSync(path.join(out, 'latest.md'), 'utf8')).toBe(
    fs.readFileSync(path.join(out, stamped.find((f) => f.endsWith('.md')) as string), 'utf8'),
  );
  for (const name of ['point-lookup', 'overload-connections', 'overload-statuses']) {
    const svg = fs.readdirSync(out).find((f) => f.endsWith(`-${name}.svg`));
    expect(svg).toBeDefined();
    expect(fs.readFileSync(path.join(out, svg as string), 'utf8')).toMatch(/^<\?xml[^>]*>\n<svg [\s\S]*<\/svg>\n$/);
  }
  // The CSV files are gone; the summary went to stdout.
  expect(fs.existsSync(path.join(out, 'tmp'))).toBe(false);
  expect(result.stdout).toContain('point lookup ≥ 0.8× Fastify');

  expect(json.version).toBe(1);
  expect(json.settings).toMatchObject({ quick: true, budget: 16, workers: 2, overload_connections: 320 });
  expect(json.data).toMatchObject({ wells: 300, observations: 3000 });
  expect(json.machine.cores).toBe(os.cpus().length);
  expect(json.machine.postgres).toMatch(/^\d+\.\d+/);

  // Step 1 and 6: every contender answered, with 200s only, and ran every round.
  const point = json.point_lookup as NonNullable<BenchJson['point_lookup']>;
  const only200 = (r: RunJson) => (r.statuses['200'] ?? 0) === r.requests && r.errors === 0;
  expect(
    point.contenders.map((c) => ({
      name: c.name,
      rounds: c.runs.length,
      answered: c.requests > 0,
      only200: c.runs.every(only200),
      figures: c.runs.map((r) => `${r.requests} in ${r.seconds} s: ${JSON.stringify(r.statuses)}, ${r.errors} errors`),
    })),
  ).toEqual(
    ['aquifer', 'raw', 'fastify', 'express', 'aquifer-1w'].map((name) => ({
      name,
      rounds: 2,
      answered: true,
      only200: true,
      figures: expect.any(Array),
    })),
  );
  expect(point.app_vs_fastify?.median_of_rounds).toBeGreaterThan(0);
  expect(point.app_vs_raw?.median_of_rounds).toBeGreaterThan(0);
  expect(point.app_vs_express?.median_of_rounds).toBeGreaterThan(0);
  expect(point.express_vs_fastify?.median_of_rounds).toBeGreaterThan(0);
  expect(result.stdout).toMatch(/aquifer ÷ bare Express +\d/);
  expect(json.scaling?.ratio.median_of_rounds).toBeGreaterThan(0);

  // Step 2.
  const list = json.list_summary as NonNullable<BenchJson['list_summary']>;
  for (const c of [list.list, list.summary]) {
    expect(c.requests).toBeGreaterThan(0);
    expect(c.runs.every(only200)).toBe(true);
  }

  // Step 3: the budget held from the database's side, and only 200 or 503 with Retry-After came back.
  const o = json.overload as NonNullable<BenchJson['overload']>;
  expect(o.requests).toBeGreaterThan(0);
  expect(Object.keys(o.statuses).every((s) => s === '200' || s === '503')).toBe(true);
  expect(o.statuses['200']).toBeGreaterThan(0);
  expect(o.missing_retry_after).toBe(0);
  expect(o.activity.samples).toBeGreaterThan(10);
  expect(o.activity.max_connections).toBeGreaterThan(0);
  expect(o.activity.max_connections).toBeLessThanOrEqual(o.budget);
  expect(o.timeline.buckets.length).toBeGreaterThan(0);
  expect(o.goodput_fraction).toBeGreaterThan(0);

  // Step 4.
  expect(json.event_loop?.point_lookup?.p99_ms).toBeGreaterThan(0);
  expect(json.event_loop?.overload?.p99_ms).toBeGreaterThan(0);

  // Step 5: every row sent was counted by the app and stored, and the same for the raw COPY.
  const bulk = json.bulk as NonNullable<BenchJson['bulk']>;
  expect(bulk.app.runs).toHaveLength(1);
  for (const run of bulk.app.runs) {
    expect(run).toMatchObject({
      status: 201,
      error: null,
      rows_sent: 20_000,
      rows_inserted: 20_000,
      rows_stored: 20_000,
    });
    expect(run.rss?.growth_mb).toBeGreaterThanOrEqual(0);
  }
  for (const run of bulk.raw.runs) expect(run).toMatchObject({ error: null, rows_copied: 20_000, rows_stored: 20_000 });
  expect(bulk.ratio.median_of_rounds).toBeGreaterThan(0);

  // Every verdict was reached (pass or miss): nothing was left unmeasured.
  expect(json.verdicts.filter((v) => v.pass === null)).toEqual([]);

  reportFigures('bench --quick', {
    seconds: Math.round(seconds),
    appRps: point.contenders[0]?.median.requests_per_s,
    appVsFastify: point.app_vs_fastify?.median_of_rounds,
    appVsExpress: point.app_vs_express?.median_of_rounds,
    expressVsFastify: point.express_vs_fastify?.median_of_rounds,
    overloadMaxConnections: o.activity.max_connections,
    overloadStatuses: o.statuses,
    bulkRatio: bulk.ratio.median_of_rounds,
    verdicts: Object.fromEntries(json.verdicts.map((v) => [v.id, v.pass])),
  });
});

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config';
import type { PlanJson } from '../../server/capacity/report';
import { withSingleConnection } from '../../server/lib/db';
import { createTestDatabase, type TestDatabase } from '../support/database';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'scripts', 'capacity.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as an operator would (`node dist/scripts/capacity.js …`), bounded by a timeout. */
function capacity(args: string[]): Promise<CliResult> {
  if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run "npm run build" first`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [ENTRY, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('npm run capacity (flags only)', () => {
  it('prints the table and exits 0 for a feasible plan', async () => {
    const result = await capacity(['--max-connections', '100', '--workers', '3', '--replicas', '2']);
    expect(result).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
    // 100 − 3 − 5 = 92 usable, 46 per host, pools 16 15 15.
    expect(result.stdout).toMatch(/^Capacity plan: feasible$/m);
    expect(result.stdout).toMatch(/^ {2}host 1 +46 +3 {2}16 15 15$/m);
    expect(result.stdout).toMatch(/^ {2}host 2 +46 +3 {2}16 15 15$/m);
    expect(result.stdout).toMatch(/^ {2}w0 +16 /m);
    expect(result.stdout).toMatch(/^ {2}aquifer, all hosts +92 {2}2 × 46$/m);
  });

  it('prints the plan with its reasons and exits 1 when it cannot hold', async () => {
    const result = await capacity(['--max-connections', '10', '--workers', '3']);
    expect(result).toEqual(expect.objectContaining({ code: 1, stderr: '' }));
    expect(result.stdout).toMatch(/^Capacity plan: NOT FEASIBLE$/m);
    expect(result.stdout).toMatch(/\[budget-below-workers\] .*not enough for 3 workers/);
  });

  it('plans pm2 the way the worker sizes its pool: 64 per host, 4 instances, 2 at a time', async () => {
    const args = ['--max-connections', '100', '--workers', '4', '--budget', '64', '--overlap-workers', '2'];
    const table = await capacity(args);
    expect(table).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
    // floor(64 / (4 + 2)) = 10 each; 4 × 10 = 40 held, 24 spare; mid-reload (4 + 2) × 10 = 60 ≤ 64.
    expect(table.stdout).toMatch(/^ {2}w0 +16 {2}10$/m);
    expect(table.stdout).toMatch(/^ {2}w3 +16 {2}10$/m);
    expect(table.stdout).toMatch(/^ {2}spare +- {2}24 \(for the pm2 reload replacements\)$/m);
    expect(table.stdout).toMatch(
      /^ {2}pm2 +every instance 10 \(per host ÷ \(4 \+ 2\)\), 24 spare; reload peak 60 of 64 per host$/m,
    );
    expect(table.stdout).not.toMatch(/Warnings/);

    const json = JSON.parse((await capacity([...args, '--json'])).stdout) as PlanJson;
    expect(json.overlap).toEqual({
      extra_workers: 2,
      pm2_pools: [10, 10, 10, 10],
      pm2_spare: 24,
      pm2_peak_per_host: 60,
    });
  });

  it("defaults --overlap-workers to aquifer's own PM2_RELOAD_PARALLEL default", async () => {
    const result = await capacity(['--max-connections', '100', '--workers', '4', '--budget', '64', '--json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as PlanJson;
    const parallel = loadConfig({}).cluster.pm2ReloadParallel;
    expect(plan.overlap?.extra_workers).toBe(parallel);
    const [pool] = plan.overlap?.pm2_pools ?? [];
    expect((4 + parallel) * (pool as number)).toBeLessThanOrEqual(64);
    expect(plan.overlap?.pm2_peak_per_host).toBe((4 + parallel) * (pool as number));
  });

  it('warns, and still exits 0, when pm2 instances would refuse to start but npm start would not', async () => {
    // 12 − 3 − 5 = 4 per host: enough for 3 workers, not for 3 instances + 2 replacements.
    const result = await capacity(['--max-connections', '12', '--workers', '3', '--overlap-workers', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}pm2 +refused: /m);
    expect(result.stdout).toMatch(/\[overlap-pm2-refused\] under pm2, WEB_CONCURRENCY=3 \+ PM2_RELOAD_PARALLEL=2 = 5/);
    const one = await capacity(['--max-connections', '12', '--workers', '3', '--overlap-workers', '1']);
    expect(one.stdout).toMatch(/^ {2}pm2 +every instance 1 .* reload peak 4 of 4 per host$/m);
  });

  it('exits 1 when a target rate needs more than the budget', async () => {
    const args = [
      '--max-connections',
      '100',
      '--workers',
      '2',
      '--budget',
      '20',
      '--hold-ms',
      '5',
      '--target-rps',
      '5000',
    ];
    const result = await capacity(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/\[target-rps-not-covered\] 5000 requests\/s .* need 25 connection/);
  });

  it.each([
    { name: 'an unknown flag', args: ['--max-connections', '100', '--workers', '3', '--bogus'], says: /bogus/ },
    { name: 'no --workers', args: ['--max-connections', '100'], says: /--workers is required/ },
    {
      name: 'neither source of max_connections',
      args: ['--workers', '3'],
      says: /--max-connections or --database-url/,
    },
    {
      name: 'workers 0',
      args: ['--max-connections', '100', '--workers', '0'],
      says: /--workers must be a whole number/,
    },
    {
      name: 'a budget that is not a number',
      args: ['--max-connections', '9', '--workers', '1', '--budget', 'lots'],
      says: /--budget/,
    },
    {
      name: 'an --other without =N',
      args: ['--max-connections', '9', '--workers', '1', '--other', 'psql'],
      says: /APP=N/,
    },
    {
      name: 'a target rate without a hold time',
      args: ['--max-connections', '9', '--workers', '1', '--target-rps', '10'],
      says: /--target-rps needs --hold-ms/,
    },
    {
      name: '--overlap-workers 0 (PM2_RELOAD_PARALLEL is at least 1)',
      args: ['--max-connections', '9', '--workers', '1', '--overlap-workers', '0'],
      says: /--overlap-workers must be a whole number from 1/,
    },
    {
      name: 'a hold time of 0',
      args: ['--max-connections', '9', '--workers', '1', '--hold-ms', '0'],
      says: /--hold-ms/,
    },
  ])('exits 2 with the usage for $name', async ({ args, says }) => {
    const result = await capacity(args);
    expect(result).toEqual(expect.objectContaining({ code: 2, stdout: '' }));
    expect(result.stderr).toMatch(says);
    expect(result.stderr).toMatch(/usage: npm run capacity -- --workers N/);
  });

  it('prints JSON with --json, with the same exit codes', async () => {
    const ok = await capacity([
      '--max-connections',
      '100',
      '--workers',
      '3',
      '--db-cores',
      '4',
      '--hold-ms',
      '5',
      '--json',
    ]);
    expect(ok.code).toBe(0);
    const plan = JSON.parse(ok.stdout) as PlanJson;
    expect(plan).toMatchObject({
      feasible: true,
      per_host: 92,
      pools: [31, 31, 30],
      total_connections: 92,
      headroom_left: 5,
      // 92 ÷ 0.005 s; 92 > 4 × 2 × 4 cores.
      throughput: { hold_ms: 5, max_rps: 18400 },
      cores: { database_cores: 4, active_connections: 8 },
    });
    expect(plan.warnings.map((w) => w.code)).toContain('pool-above-cores');

    const refused = await capacity(['--max-connections', '10', '--workers', '3', '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ feasible: false, reasons: [{ code: 'budget-below-workers' }] });
  });
});

describe('npm run capacity --database-url', () => {
  let database: TestDatabase;
  const OTHER = 'capacity-test-other';

  beforeAll(async () => {
    database = await createTestDatabase('capacity_cli');
  });
  afterAll(async () => {
    await database.drop();
  });

  /** Holds `count` connections named `name` open while `fn` runs; each closes in a finally. */
  const holding = <T>(count: number, name: string, fn: () => Promise<T>): Promise<T> =>
    count === 0 ? fn() : withSingleConnection(database.url, name, 10_000, () => holding(count - 1, name, fn));

  it('reads the limits and counts other applications, but not aquifer or itself', async () => {
    const live = await database.query((db) =>
      db.one<{ max: number; su: number }>({
        text: `SELECT current_setting('max_connections')::int AS max,
                      current_setting('superuser_reserved_connections')::int AS su`,
      }),
    );
    const result = await holding(2, OTHER, () =>
      // An aquifer-named connection open at the same time must not count as another application.
      withSingleConnection(database.url, 'aquifer:w0', 10_000, () =>
        capacity(['--database-url', database.url, '--workers', '2', '--json']),
      ),
    );
    expect(result).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
    const plan = JSON.parse(result.stdout) as PlanJson;
    expect(plan.server.max_connections).toBe(live.max);
    expect(plan.server.superuser_reserved_connections).toBe(live.su);
    expect(plan.other_applications).toContainEqual({ name: OTHER, connections: 2 });
    expect(plan.other_applications.filter((a) => a.name.startsWith('aquifer:'))).toEqual([]);
    expect(plan.other_connections).toBeGreaterThanOrEqual(2);
    expect(plan.usable).toBe(live.max - live.su - plan.server.reserved_connections - 5 - plan.other_connections);
  });

  it('lets flags override what the server reports, and shows other applications in the table', async () => {
    const args = ['--database-url', database.url, '--workers', '2', '--max-connections', '50', '--other', `${OTHER}=7`];
    const result = await holding(1, OTHER, () => capacity(args));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}max_connections +50$/m);
    expect(result.stdout).toMatch(new RegExp(`subtracted like headroom: .*${OTHER} 7`));
  });
});

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { Db } from '../../server/lib/db';
import { buildTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bearer } from '../support/api-keys';
import { reportFigures } from '../support/report';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '..', '..');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a built script as an operator would (`node dist/scripts/<name>.js …`) against `url`. */
function runCli(script: 'apikey' | 'seed', args: string[], url: string): Promise<CliResult> {
  const entry = path.join(ROOT, 'dist', 'scripts', `${script}.js`);
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [entry, ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: url, LOG_LEVEL: 'warn' },
        timeout: 240_000,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** Asserts success; on failure the message shows the whole result, stderr included. */
const expectSuccess = (result: CliResult) => expect(result).toEqual(expect.objectContaining({ code: 0 }));

const newWell = (siteCode: string) => ({
  site_code: siteCode,
  name: 'CLI test well',
  status: 'active',
  latitude: 37.5,
  longitude: -100.5,
});

describe('npm run apikey', () => {
  let database: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('cli_apikey');
    t = buildTestApp(database.url);
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  it('creates a key shown once, stores only its hash, lists it without the secret, and revokes it', async () => {
    const created = await runCli('apikey', ['create', '--name', 'ops laptop', '--scope', 'write'], database.url);
    expectSuccess(created);
    const key = /\b(aq_[0-9a-f]{16}_[A-Za-z0-9_-]{43})\b/.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    const secret = key as string;
    const prefix = secret.slice(3, 19);
    expect(created.stdout).toMatch(/cannot be shown again/);
    expect(created.stdout.split(secret)).toHaveLength(2);

    // The key authenticates a write through the real app.
    await request(t.app)
      .post('/api/v1/wells')
      .set(...bearer(secret))
      .send(newWell('CLI-KEY-1'))
      .expect(201);

    // The row holds the SHA-256 of the key, and the key text appears in no column.
    const rows = await database.query((db: Db) =>
      db.many<{ row_text: string; hash_hex: string }>({
        text: `SELECT k::text AS row_text, encode(key_hash, 'hex') AS hash_hex FROM api_keys k`,
      }),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.hash_hex).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(rows[0]?.row_text).toContain(prefix);
    expect(rows[0]?.row_text).not.toContain(secret);
    expect(rows[0]?.row_text).not.toContain(secret.slice(20));

    const listed = await runCli('apikey', ['list'], database.url);
    expectSuccess(listed);
    expect(listed.stdout).toMatch(/^id\s+name\s+scope\s+prefix\s+created\s+revoked$/m);
    expect(listed.stdout).toMatch(new RegExp(`^1\\s+ops laptop\\s+write\\s+${prefix}\\s+\\S+\\s+-$`, 'm'));
    expect(listed.stdout).not.toContain(secret.slice(20));
    expect(listed.stdout).not.toContain(rows[0]?.hash_hex);

    const listedJson = await runCli('apikey', ['list', '--json'], database.url);
    expect(JSON.parse(listedJson.stdout)).toEqual([
      { id: 1, name: 'ops laptop', scope: 'write', prefix, created_at: expect.any(String), revoked_at: null },
    ]);
    expect(listedJson.stdout).not.toContain(secret.slice(20));

    const revoked = await runCli('apikey', ['revoke', prefix], database.url);
    expectSuccess(revoked);
    expect(revoked.stdout).toMatch(/Revoked API key 1/);
    await request(t.app)
      .post('/api/v1/wells')
      .set(...bearer(secret))
      .send(newWell('CLI-KEY-2'))
      .expect(401);

    const missing = await runCli('apikey', ['revoke', '4242'], database.url);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/no API key with id or prefix "4242"/);
  });

  it('prints JSON with --json, including the key, and revokes by id', async () => {
    const created = await runCli('apikey', ['create', '--name', 'ci', '--scope', 'read', '--json'], database.url);
    expectSuccess(created);
    const body = JSON.parse(created.stdout) as { id: number; key: string; scope: string; revoked_at: null };
    expect(body).toMatchObject({ name: 'ci', scope: 'read', revoked_at: null, key: expect.stringMatching(/^aq_/) });
    const revoked = await runCli('apikey', ['revoke', String(body.id), '--json'], database.url);
    expectSuccess(revoked);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: body.id, revoked_at: expect.any(String) });
  });

  it.each([
    [[]],
    [['rotate']],
    [['create', '--name', 'x']],
    [['create', '--name', 'x', '--scope', 'root']],
    [['create', '--scope', 'write']],
    [['list', '--verbose']],
    [['list', 'extra']],
    [['revoke']],
    [['revoke', '1', '2']],
  ])('exits 2 with usage on stderr for %j', async (args) => {
    const result = await runCli('apikey', args, database.url);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/usage:\n {2}npm run apikey -- create/);
  });
});

/** An md5 over every seeded row in a fixed order, leaving out ids and timestamps. */
const contentDigest = (db: Db) =>
  db.one<{ wells: string; observations: string; contacts: string; links: string }>({
    text: `SELECT
      (SELECT md5(string_agg(concat_ws('|', site_code, name, status, type, county, latitude, longitude,
                 well_depth_ft, elevation_ft, construction_date), E'\\n' ORDER BY site_code)) FROM wells) AS wells,
      (SELECT md5(string_agg(concat_ws('|', w.site_code, o.observed_at AT TIME ZONE 'UTC', o.depth_to_water_ft,
                 o.method, o.data_quality, o.observer), E'\\n' ORDER BY w.site_code, o.observed_at))
         FROM observations o JOIN wells w ON w.id = o.well_id) AS observations,
      (SELECT md5(string_agg(concat_ws('|', name, organization, emails::text, phones::text), E'\\n'
                 ORDER BY emails[1])) FROM contacts) AS contacts,
      (SELECT md5(string_agg(concat_ws('|', w.site_code, c.emails[1], l.role), E'\\n' ORDER BY w.site_code, c.emails[1]))
         FROM well_contacts l JOIN wells w ON w.id = l.well_id JOIN contacts c ON c.id = l.contact_id) AS links`,
  });

describe('npm run seed', () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const d of databases) await d.drop();
  });

  it('adds exactly N wells and N×M readings, adds nothing on a re-run, and gives identical content on a fresh database', async () => {
    const [first, second] = [await createTestDatabase('cli_seed_a'), await createTestDatabase('cli_seed_b')];
    databases.push(first, second);
    // Over two batches of wells, so three connections really insert side by side.
    const args = ['--wells', '2500', '--observations-per-well', '12', '--contacts', '4'];

    const run1 = await runCli('seed', [...args, '--jobs', '3', '--json'], first.url);
    expectSuccess(run1);
    const result1 = JSON.parse(run1.stdout) as {
      added: Record<string, number>;
      seconds: number;
      rowsPerSecond: number;
    };
    expect(result1.added).toMatchObject({ wells: 2500, observations: 30_000, contacts: 4 });
    expect(result1.seconds).toBeGreaterThan(0);

    const counts = await first.query((db) =>
      db.one<{ wells: number; seeded: number; observations: number; per_well_min: number; per_well_max: number }>({
        text: `SELECT (SELECT count(*)::int FROM wells) AS wells,
                      (SELECT count(*)::int FROM wells WHERE site_code LIKE 'SEED-%') AS seeded,
                      (SELECT count(*)::int FROM observations) AS observations,
                      (SELECT min(n)::int FROM (SELECT count(*) AS n FROM observations GROUP BY well_id) x) AS per_well_min,
                      (SELECT max(n)::int FROM (SELECT count(*) AS n FROM observations GROUP BY well_id) x) AS per_well_max`,
      }),
    );
    expect(counts).toEqual({ wells: 2500, seeded: 2500, observations: 30_000, per_well_min: 12, per_well_max: 12 });
    // What the run reports adding is what the database holds, whichever connection added it.
    const links = await first.query((db) =>
      db.one<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM well_contacts' }),
    );
    expect(links.n).toBeGreaterThan(2500);
    expect(result1.added.links).toBe(links.n);

    // Readings lie inside each well, weekly, ending on the fixed date, with vocabulary terms.
    const shape = await first.query((db) =>
      db.one<{ outside: number; last_day: string; first_day: string; qualities: string[]; methods: number }>({
        text: `SELECT count(*) FILTER (WHERE o.depth_to_water_ft <= 0 OR o.depth_to_water_ft >= w.well_depth_ft)::int AS outside,
                      to_char(max(o.observed_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS last_day,
                      to_char(min(o.observed_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS first_day,
                      array_agg(DISTINCT o.data_quality ORDER BY o.data_quality) AS qualities,
                      count(DISTINCT o.method)::int AS methods
               FROM observations o JOIN wells w ON w.id = o.well_id`,
      }),
    );
    expect(shape).toMatchObject({ outside: 0, last_day: '2025-12-29', first_day: '2025-10-13' });
    expect(shape.qualities).toEqual(expect.arrayContaining(['approved', 'provisional']));
    expect(shape.methods).toBeGreaterThan(1);

    const run2 = await runCli('seed', args, first.url);
    expectSuccess(run2);
    expect(run2.stdout).toMatch(
      /added 0 wells, 0 observations, 0 contacts, 0 well-contact links in [\d.]+ s \(\d+ rows\/s\)/,
    );

    // One connection must give the same rows as three.
    const run3 = await runCli('seed', [...args, '--jobs', '1'], second.url);
    expectSuccess(run3);
    expect(run3.stdout).toContain(`added 2500 wells, 30000 observations, 4 contacts, ${links.n} well-contact links`);
    const [digestA, digestB] = [await first.query(contentDigest), await second.query(contentDigest)];
    expect(digestA.wells).toMatch(/^[0-9a-f]{32}$/);
    expect(digestB).toEqual(digestA);

    reportFigures('seed 2500 wells × 12 readings', {
      firstRunMs: run1.ms,
      rerunMs: run2.ms,
      seedSeconds: result1.seconds,
      rowsPerSecond: result1.rowsPerSecond,
    });
  });

  it.each([
    [['--wells', '10']],
    [['--observations-per-well', '10']],
    [['--wells', '0', '--observations-per-well', '1']],
    [['--wells', '1.5', '--observations-per-well', '1']],
    [['--wells', '10', '--observations-per-well', '-1']],
    [['--wells', '10', '--observations-per-well', '1', '--colour']],
    [['--wells', '10', '--observations-per-well', '1', '--jobs', '0']],
  ])('exits 2 with usage on stderr for %j', async (args) => {
    const result = await runCli('seed', args, 'postgres://nobody@127.0.0.1:1/none');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/usage: npm run seed -- --wells N/);
  });
});

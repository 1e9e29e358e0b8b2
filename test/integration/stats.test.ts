import request from 'supertest';
import type { Db, Sql } from '../../server/lib/db';
import { summarizeWell } from '../../server/observations/queries';
import { countyStats } from '../../server/stats/queries';
import { bearer, issueKey } from '../support/api-keys';
import { useApiFixture } from '../support/api-fixture';
import { buildTestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { errorPaths, expectProblem } from '../support/problem-assertions';
import { insertObservations, insertWell, type Reading } from '../support/table-rows';

jest.setTimeout(120_000);

const t = useApiFixture({ label: 'stats' });

let siteSeq = 0;
const createWell = (db: TestDatabase, county: string | null) =>
  db.query((q) =>
    insertWell(q, { site_code: `STATS-${++siteSeq}`, name: 'Stats well', county, latitude: 37.9, longitude: -100.8 }),
  );

const seedObservations = (db: TestDatabase, wellId: number, rows: readonly Reading[]) =>
  db.query((q) => insertObservations(q, wellId, rows));

/** Deterministic pseudo-random numbers in [0, 1), so a failure reproduces. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

/** Irregularly spaced readings with a known underlying trend plus noise. */
function readings(seed: number, count: number, startIso: string, ftPerDay: number): Reading[] {
  const random = seeded(seed);
  let at = Date.parse(startIso);
  return Array.from({ length: count }, () => {
    at += Math.floor(random() * 40 * 86_400_000) + 1; // up to 40 days apart, whole milliseconds
    const days = (at - Date.parse(startIso)) / 86_400_000;
    return [new Date(at).toISOString(), Math.round((60 + ftPerDay * days + (random() - 0.5) * 4) * 100) / 100];
  });
}

const SECONDS_PER_JULIAN_YEAR = 365.25 * 86_400;

/** Ordinary least squares slope of depth on time in seconds, scaled to feet per year, computed by hand. */
function slopePerYear(rows: readonly Reading[]): number {
  const xs = rows.map((r) => Date.parse(r[0]) / 1000);
  const ys = rows.map((r) => r[1]);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * ((ys[i] as number) - my);
    sxx += (x - mx) ** 2;
  });
  return (sxy / sxx) * SECONDS_PER_JULIAN_YEAR;
}

const expectClose = (actual: unknown, expected: number) => {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
};

describe('GET /api/v1/wells/:id/summary', () => {
  const summary = (wellId: number | string) => request(t.app).get(`/api/v1/wells/${wellId}/summary`);

  it('matches count, range, mean and least-squares trend computed independently', async () => {
    const wellId = await createWell(t.database, 'Summit');
    const rows = readings(7, 40, '2019-01-01T00:00:00Z', 0.01);
    await seedObservations(t.database, wellId, rows);
    // Another well's readings must not leak into this summary.
    await seedObservations(
      t.database,
      await createWell(t.database, 'Summit'),
      readings(8, 10, '2019-01-01T00:00:00Z', -1),
    );
    const res = await summary(wellId).expect(200);

    const depths = rows.map((r) => r[1]);
    const sortedInstants = rows.map((r) => r[0]).sort();
    expect(res.body).toEqual({
      well_id: wellId,
      count: 40,
      first_observed_at: sortedInstants[0],
      last_observed_at: sortedInstants[sortedInstants.length - 1],
      min_depth_ft: Math.min(...depths),
      max_depth_ft: Math.max(...depths),
      mean_depth_ft: expect.any(Number),
      trend_ft_per_year: expect.any(Number),
    });
    expectClose(res.body.mean_depth_ft, depths.reduce((a, b) => a + b, 0) / depths.length);
    const trend = slopePerYear(rows);
    expectClose(res.body.trend_ft_per_year, trend);
    // The underlying trend was 0.01 ft/day ≈ 3.65 ft/year; the noise cannot hide that.
    expect(trend).toBeGreaterThan(3);
    expect(trend).toBeLessThan(4.3);
  });

  it('gives a negative trend for a rising water table and an exact one for a perfect line', async () => {
    const wellId = await createWell(t.database, 'Summit');
    const start = Date.parse('2020-01-01T00:00:00Z');
    // Exactly 1 ft shallower per Julian year.
    const rows: Reading[] = [0, 1, 2, 3].map((y) => [
      new Date(start + y * SECONDS_PER_JULIAN_YEAR * 1000).toISOString(),
      50 - y,
    ]);
    await seedObservations(t.database, wellId, rows);
    const res = await summary(wellId).expect(200);
    expectClose(res.body.trend_ft_per_year, -1);
    expectClose(res.body.mean_depth_ft, 48.5);
  });

  it('answers count 0 and nulls for a well without observations', async () => {
    const wellId = await createWell(t.database, 'Summit');
    expect((await summary(wellId).expect(200)).body).toEqual({
      well_id: wellId,
      count: 0,
      first_observed_at: null,
      last_observed_at: null,
      min_depth_ft: null,
      max_depth_ft: null,
      mean_depth_ft: null,
      trend_ft_per_year: null,
    });
  });

  it('has a null trend with a single observation', async () => {
    const wellId = await createWell(t.database, 'Summit');
    await seedObservations(t.database, wellId, [['2021-06-01T12:00:00.250Z', -2.5]]);
    expect((await summary(wellId).expect(200)).body).toEqual({
      well_id: wellId,
      count: 1,
      first_observed_at: '2021-06-01T12:00:00.250Z',
      last_observed_at: '2021-06-01T12:00:00.250Z',
      min_depth_ft: -2.5,
      max_depth_ft: -2.5,
      mean_depth_ft: -2.5,
      trend_ft_per_year: null,
    });
  });

  it('answers 404 for an unknown well and 400 for a malformed id', async () => {
    expectProblem(await summary(987_654_321), 404, 'not-found');
    const bad = await summary('x1');
    expectProblem(bad, 400, 'validation-failed');
    expect(errorPaths(bad)).toEqual(['params.id']);
  });
});

describe('GET /api/v1/stats/counties', () => {
  const countiesFixture = useApiFixture({ label: 'stats_counties', poolSize: 2 });
  /** What the test put in, per county: each well's readings. */
  const model = new Map<string | null, { id: number; readings: Reading[] }[]>();

  beforeAll(async () => {
    const layout: [string | null, number[]][] = [
      ['Bravo', [0]], // one well, never measured
      ['Alpha', [3, 0, 5]], // a well without readings among measured ones
      [null, [2, 0]],
      ['Charlie', [1, 4]],
    ];
    let seed = 100;
    for (const [county, counts] of layout) {
      const wells: { id: number; readings: Reading[] }[] = [];
      for (const n of counts) {
        const id = await createWell(countiesFixture.database, county);
        seed += 1;
        const rows = readings(seed, n, '2022-01-01T00:00:00Z', 0.02);
        // Inserted newest first, so "latest" must come from observed_at, not insertion order.
        if (n > 0) await seedObservations(countiesFixture.database, id, [...rows].reverse());
        wells.push({ id, readings: rows });
      }
      model.set(county, wells);
    }
  });

  function expectedItems() {
    const latestDepth = (rows: Reading[]) => [...rows].sort((a, b) => a[0].localeCompare(b[0])).at(-1)?.[1];
    const counties = [...model.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : 1));
    return counties.map((county) => {
      const wells = model.get(county) ?? [];
      const latest = wells.map((w) => latestDepth(w.readings)).filter((d): d is number => d !== undefined);
      return {
        county,
        well_count: wells.length,
        observation_count: wells.reduce((n, w) => n + w.readings.length, 0),
        latest_mean_depth_ft: latest.length === 0 ? null : latest.reduce((a, b) => a + b, 0) / latest.length,
      };
    });
  }

  const expectMatchesModel = async () => {
    const res = await request(countiesFixture.app).get('/api/v1/stats/counties').expect(200);
    const expected = expectedItems();
    expect(res.body.items.map((i: { county: string | null }) => i.county)).toEqual(['Alpha', 'Bravo', 'Charlie', null]);
    expect(res.body.items).toEqual(
      expected.map((e) => ({
        ...e,
        latest_mean_depth_ft: e.latest_mean_depth_ft === null ? null : expect.any(Number),
      })),
    );
    expected.forEach((e, i) => {
      if (e.latest_mean_depth_ft !== null) expectClose(res.body.items[i].latest_mean_depth_ft, e.latest_mean_depth_ft);
    });
    return res.body.items as { county: string | null; latest_mean_depth_ft: number | null }[];
  };

  it('matches well counts, observation counts and latest mean depths computed independently', async () => {
    const items = await expectMatchesModel();
    expect(items.find((i) => i.county === 'Bravo')?.latest_mean_depth_ft).toBeNull();
  });

  it('follows new observations: an older reading leaves the latest alone, a newer one replaces it', async () => {
    const charlie = model.get('Charlie')?.[0];
    if (!charlie) throw new Error('model lost Charlie');
    const writeKey = await issueKey(countiesFixture.database, 'write');
    const post = (observed_at: string, depth: number) =>
      request(countiesFixture.app)
        .post(`/api/v1/wells/${charlie.id}/observations`)
        .set(...bearer(writeKey))
        .send({ observed_at, depth_to_water_ft: depth })
        .expect(201)
        .then(() => charlie.readings.push([new Date(observed_at).toISOString(), depth]));
    const before = (await expectMatchesModel()).find((i) => i.county === 'Charlie')?.latest_mean_depth_ft;
    await post('2000-01-01T00:00:00Z', 999);
    const afterOld = (await expectMatchesModel()).find((i) => i.county === 'Charlie')?.latest_mean_depth_ft;
    expect(afterOld).toBe(before);
    await post(new Date().toISOString(), 500);
    const afterNew = (await expectMatchesModel()).find((i) => i.county === 'Charlie')?.latest_mean_depth_ft;
    expect(afterNew).not.toBe(before);
  });

  it('answers an empty list when there are no wells', async () => {
    const empty = await createTestDatabase('stats_empty');
    const emptyApp = buildTestApp(empty.url, { poolSize: 1 });
    try {
      expect((await request(emptyApp.app).get('/api/v1/stats/counties').expect(200)).body).toEqual({ items: [] });
    } finally {
      await emptyApp.close();
      await empty.drop();
    }
  });
});

/** A Db that records the statement a query function would run, instead of running it. */
function captureSql(run: (db: Db) => Promise<unknown>): Sql {
  let captured: Sql | undefined;
  const record = async (sql: Sql) => {
    captured = sql;
    return [];
  };
  const db: Db = {
    one: async <T>(sql: Sql) => (await record(sql)) as T,
    maybeOne: async (sql: Sql) => (await record(sql), null),
    many: async <T>(sql: Sql) => (await record(sql)) as T[],
    exec: async (sql: Sql) => (await record(sql)).length,
  };
  void run(db);
  if (!captured) throw new Error('no statement captured');
  return captured;
}

describe('query plans on a seeded database', () => {
  let seededDb: TestDatabase;
  beforeAll(async () => {
    seededDb = await createTestDatabase('stats_plans');
    // 1,000 wells over 40 counties, 100 readings each: 100,000 observations.
    await seededDb.query(async (q) => {
      await q.exec({
        text: `INSERT INTO wells (site_code, name, county, latitude, longitude)
               SELECT 'P-' || n, 'Plan well', 'County ' || (n % 40), 37, -100 FROM generate_series(1, 1000) n`,
      });
      await q.exec({
        text: `INSERT INTO observations (well_id, observed_at, depth_to_water_ft)
               SELECT w.id, timestamptz '2000-01-01' + k * interval '7 days', 50 + (w.id % 17) + k * 0.01
               FROM wells w CROSS JOIN generate_series(1, 100) k`,
      });
      await q.exec({ text: 'VACUUM ANALYZE wells' });
      await q.exec({ text: 'VACUUM ANALYZE observations' });
    });
  });
  afterAll(async () => {
    await seededDb.drop();
  });

  /** The plan as text, with how much of observations the visibility map covers (index-only scans need it). */
  const plan = async (sql: Sql) => {
    const [rows, visibility] = await seededDb.query(
      async (q) =>
        [
          await q.many<{ 'QUERY PLAN': string }>({ text: `EXPLAIN ${sql.text}`, values: sql.values }),
          await q.one<{ relpages: number; relallvisible: number }>({
            text: "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'observations'",
          }),
        ] as const,
    );
    return `${JSON.stringify(visibility)}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`;
  };

  // Index-only once VACUUM has set the visibility map; either way the unique index, never a sequential scan.
  const USES_UNIQUE_INDEX =
    /(Index Only Scan|Index Scan|Bitmap Index Scan)( Backward)? (using|on) observations_well_instant_key/;

  it('county stats read observations only through the unique index, the latest depth by a backward scan', async () => {
    const text = await plan(captureSql((db) => countyStats(db)));
    expect(text).toMatch(/Scan Backward using observations_well_instant_key/);
    expect(text).toMatch(USES_UNIQUE_INDEX);
    expect(text).not.toMatch(/Seq Scan on observations/);
    const started = performance.now();
    const rows = await seededDb.query((q) => countyStats(q));
    console.log(`county stats over 1,000 wells / 100,000 observations: ${(performance.now() - started).toFixed(1)} ms`);
    expect(rows).toHaveLength(40);
    expect(rows.reduce((n, r) => n + Number(r.observation_count), 0)).toBe(100_000);
  });

  it('a well summary is one scan of that well’s entries in the unique index', async () => {
    const text = await plan(captureSql((db) => summarizeWell(db, '500')));
    expect(text).toMatch(USES_UNIQUE_INDEX);
    expect(text).not.toMatch(/Seq Scan on observations/);
  });
});

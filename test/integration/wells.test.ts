import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { errorPaths, expectProblem } from '../support/problem-assertions';

let database: TestDatabase;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase('wells');
  t = buildTestApp(database.url);
});
afterAll(async () => {
  await t.close();
  await database.drop();
});

const validWell = (siteCode: string) => ({
  site_code: siteCode,
  name: `Well ${siteCode}`,
  status: 'active',
  county: 'Finney',
  latitude: 37.9,
  longitude: -100.8,
  well_depth_ft: 210.5,
});

const post = (body: unknown) =>
  request(t.app)
    .post('/api/v1/wells')
    .send(body as object);

const countWells = (where = 'TRUE', values: unknown[] = []) =>
  database.query((db) =>
    db.one<{ n: number }>({ text: `SELECT count(*)::int AS n FROM wells WHERE ${where}`, values }).then((r) => r.n),
  );

const allIds = () =>
  database
    .query((db) => db.many<{ id: string }>({ text: 'SELECT id FROM wells ORDER BY id' }))
    .then((rows) => rows.map((r) => Number(r.id)));

const insertWells = (prefix: string, count: number) =>
  database.query((db) =>
    db.exec({
      text: `INSERT INTO wells (site_code, name, latitude, longitude)
             SELECT $1 || n, 'Well ' || n, 37.5, -100.5 FROM generate_series(1, $2::int) AS n`,
      values: [prefix, count],
    }),
  );

const toCursor = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('POST /api/v1/wells', () => {
  it('creates a well and answers 201 with a Location header', async () => {
    const res = await post(validWell('KS-T-001')).expect(201);
    expect(res.headers.location).toBe(`/api/v1/wells/${res.body.id}`);
    expect(res.body).toMatchObject({ ...validWell('KS-T-001'), id: expect.any(Number) });
    const got = await request(t.app)
      .get(res.headers.location as string)
      .expect(200);
    expect(got.body).toEqual(res.body);
  });

  it('answers 409 on a duplicate site_code, naming the field but not the constraint', async () => {
    await post(validWell('KS-DUP-1')).expect(201);
    // Normalization trims, so a padded copy is the same site_code.
    for (const siteCode of ['KS-DUP-1', '  KS-DUP-1 ']) {
      const res = await post(validWell(siteCode));
      expectProblem(res, 409, 'conflict');
      expect(res.body.errors).toEqual([{ path: 'body.site_code', message: expect.any(String) }]);
      expect(JSON.stringify(res.body)).not.toMatch(/wells_site_code_key|duplicate key|23505/);
    }
    expect(await countWells('site_code = $1', ['KS-DUP-1'])).toBe(1);
  });

  it('answers 400 listing every missing required field', async () => {
    const res = await post({ status: 'active' });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['body.latitude', 'body.longitude', 'body.name', 'body.site_code']);
  });

  it('rejects an unknown field with 400 and writes nothing', async () => {
    const res = await post({ ...validWell('KS-UNK-1'), owner: 'someone' });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['body.owner']);
    expect(await countWells('site_code = $1', ['KS-UNK-1'])).toBe(0);
  });

  it('rejects a "__proto__" key like any other unknown field', async () => {
    const body = JSON.stringify(validWell('KS-PROTO-1')).replace(/^\{/, '{"__proto__":{"status":"destroyed"},');
    const res = await request(t.app).post('/api/v1/wells').type('json').send(body);
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['body.__proto__']);
    expect(await countWells('site_code = $1', ['KS-PROTO-1'])).toBe(0);
  });

  it.each([
    ['latitude', 91],
    ['latitude', -90.0001],
    ['longitude', -181],
    ['well_depth_ft', 0],
    ['well_depth_ft', 100_000],
  ])('answers 400 when %s is %p', async (field, value) => {
    const res = await post({ ...validWell(`KS-RANGE-${field}`), [field]: value });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual([`body.${field}`]);
    expect(await countWells('site_code = $1', [`KS-RANGE-${field}`])).toBe(0);
  });

  it('accepts numeric strings and stores them as numbers', async () => {
    const res = await post({
      ...validWell('KS-NUM-1'),
      latitude: '37.5',
      longitude: ' -100.25 ',
      well_depth_ft: '1.2e2',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ latitude: 37.5, longitude: -100.25, well_depth_ft: 120 });
    const row = await database.query((db) =>
      db.one<Record<string, unknown>>({
        text: 'SELECT latitude, longitude, well_depth_ft FROM wells WHERE site_code = $1',
        values: ['KS-NUM-1'],
      }),
    );
    expect(row).toEqual({ latitude: 37.5, longitude: -100.25, well_depth_ft: 120 });
  });

  it('normalizes the status term (" Active " becomes "active")', async () => {
    const res = await post({ ...validWell('KS-STAT-1'), status: ' Active ' }).expect(201);
    expect(res.body.status).toBe('active');
    expect(await countWells("site_code = 'KS-STAT-1' AND status = 'active'")).toBe(1);
  });

  it.each(['NaN', 'Infinity', '-Infinity', 'inf', '1e400'])('answers 400 for latitude %p', async (value) => {
    const res = await post({ ...validWell('KS-NAN-1'), latitude: value });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['body.latitude']);
    expect(await countWells('site_code = $1', ['KS-NAN-1'])).toBe(0);
  });

  it.each(['[]', '[{"site_code":"KS-ARR-1"}]', '"KS-STR-1"', 'null', '42'])(
    'answers 400 for a JSON body that is not an object: %s',
    async (body) => {
      const res = await request(t.app).post('/api/v1/wells').type('json').send(body);
      expectProblem(res, 400);
    },
  );

  it('answers 400 malformed-json for a body that does not parse', async () => {
    const res = await request(t.app).post('/api/v1/wells').type('json').send('{"site_code": "KS-BAD-1",');
    expectProblem(res, 400, 'malformed-json');
    expect(res.body.detail).not.toMatch(/Unexpected|position|JSON\.parse/);
  });

  it('answers 415 for a text/plain body and writes nothing', async () => {
    const res = await request(t.app)
      .post('/api/v1/wells')
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify(validWell('KS-TXT-1')));
    expectProblem(res, 415, 'unsupported-media-type');
    expect(await countWells('site_code = $1', ['KS-TXT-1'])).toBe(0);
  });

  it('answers 413 for a body over the configured limit', async () => {
    const small = buildTestApp(database.url, { bodyLimitBytes: 1024, poolSize: 1 });
    try {
      const res = await request(small.app)
        .post('/api/v1/wells')
        .send({ ...validWell('KS-BIG-1'), name: 'x'.repeat(2048) });
      expectProblem(res, 413, 'payload-too-large');
      // The same body under the limit is fine, so it was the size that was refused.
      await request(small.app).post('/api/v1/wells').send(validWell('KS-BIG-2')).expect(201);
    } finally {
      await small.close();
    }
    expect(await countWells('site_code = $1', ['KS-BIG-1'])).toBe(0);
  });
});

describe('GET /api/v1/wells/:id', () => {
  it('answers 200 with the well', async () => {
    const created = await post(validWell('KS-GET-1')).expect(201);
    const res = await request(t.app).get(`/api/v1/wells/${created.body.id}`).expect(200);
    expect(res.body).toEqual(created.body);
  });

  it('answers 404 problem for an absent id', async () => {
    const res = await request(t.app).get('/api/v1/wells/987654321');
    expectProblem(res, 404, 'not-found');
    expect(res.body.instance).toBe('/api/v1/wells/987654321');
  });

  it('answers 404 (not 400 or 500) for the largest bigint', async () => {
    expectProblem(await request(t.app).get('/api/v1/wells/9223372036854775807'), 404, 'not-found');
  });

  it.each(['abc', '0', '-5', '1.5', '01', '1e3', '9223372036854775808', '99999999999999999999'])(
    'answers 400 for id %p',
    async (id) => {
      const res = await request(t.app).get(`/api/v1/wells/${id}`);
      expectProblem(res, 400, 'validation-failed');
      expect(errorPaths(res)).toEqual(['params.id']);
    },
  );
});

describe('GET /api/v1/wells', () => {
  const list = (query: Record<string, string | number> = {}) => request(t.app).get('/api/v1/wells').query(query);

  it('pages through every well exactly once, in ascending id order', async () => {
    await insertWells('KS-PAGE-', 7);
    const expected = await allIds();
    expect(expected.length).toBeGreaterThanOrEqual(7);
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages <= expected.length; pages++) {
      const res = await list(cursor === null ? { limit: 3 } : { limit: 3, cursor }).expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...(res.body.items as { id: number }[]).map((w) => w.id));
      cursor = res.body.next_cursor as string | null;
      if (cursor === null) break;
      expect(res.body.items).toHaveLength(3);
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual(expected);
  });

  it('has no next page when the rows fill the last page exactly', async () => {
    const total = (await allIds()).length;
    const res = await list({ limit: total }).expect(200);
    expect(res.body.items).toHaveLength(total);
    expect(res.body.next_cursor).toBeNull();
  });

  it('uses a default limit of 50 and accepts the bounds 1 and 500', async () => {
    await insertWells('KS-MANY-', 60);
    const total = (await allIds()).length;
    const first = await list().expect(200);
    expect(first.body.items).toHaveLength(50);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const rest = await list({ cursor: first.body.next_cursor }).expect(200);
    expect(rest.body.items).toHaveLength(Math.min(50, total - 50));
    expect((await list({ limit: 1 }).expect(200)).body.items).toHaveLength(1);
    expect((await list({ limit: 500 }).expect(200)).body.items).toHaveLength(Math.min(500, total));
  });

  it.each(['0', '501', 'abc', '-1', '2.5', ''])('answers 400 on query.limit for limit=%p', async (limit) => {
    const res = await list({ limit });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['query.limit']);
  });

  it('answers 400 on query.limit when limit is repeated', async () => {
    const res = await request(t.app).get('/api/v1/wells?limit=2&limit=3');
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['query.limit']);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['not base64 JSON', 'AAAA'],
    ['too long', 'a'.repeat(600)],
    ['a non-numeric id', toCursor({ after_id: 'abc' })],
    ['a numeric (not string) id', toCursor({ after_id: 5 })],
    ['a negative id', toCursor({ after_id: '-1' })],
    ['an id over bigint', toCursor({ after_id: '9223372036854775808' })],
    ['an extra key', toCursor({ after_id: '1', admin: true })],
    ['no id', toCursor({})],
    ['JSON null', toCursor(null)],
    ['an array', toCursor(['1'])],
  ])('answers 400 on query.cursor for a cursor with %s', async (_label, cursor) => {
    const res = await list({ cursor });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['query.cursor']);
  });

  it('answers 400 on query.cursor when cursor is repeated', async () => {
    const good = toCursor({ after_id: '1' });
    const res = await request(t.app).get(`/api/v1/wells?cursor=${good}&cursor=${good}`);
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['query.cursor']);
  });

  it('answers an empty last page for a cursor past the end', async () => {
    const res = await list({ cursor: toCursor({ after_id: '9223372036854775807' }) }).expect(200);
    expect(res.body).toEqual({ items: [], next_cursor: null });
  });

  it('answers 400 for an unknown query parameter', async () => {
    const res = await list({ limit: 3, sort: 'name' });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['query.sort']);
  });
});

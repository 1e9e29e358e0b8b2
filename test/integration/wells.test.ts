import request from 'supertest';
import { bearer } from '../support/api-keys';
import { useApiFixture } from '../support/api-fixture';
import { buildTestApp } from '../support/app';
import { errorPaths, expectProblem } from '../support/problem-assertions';
import { countRows, insertObservations, insertWell } from '../support/table-rows';

// The machine is shared and noisy; these bounds only stop a hung test.
jest.setTimeout(120_000);

const t = useApiFixture({ label: 'wells', acquireTimeoutMs: 15_000, statementTimeoutMs: 20_000, keys: ['write'] });

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
    .set(...bearer(t.keys.write))
    .send(body as object);

const postRaw = (contentType: string, body: string) =>
  request(t.app)
    .post('/api/v1/wells')
    .set(...bearer(t.keys.write))
    .set('Content-Type', contentType)
    .send(body);

const countWells = (where = 'TRUE', values: unknown[] = []) => t.onPool((db) => countRows(db, 'wells', where, values));

const allIds = () =>
  t.database
    .query((db) => db.many<{ id: string }>({ text: 'SELECT id FROM wells ORDER BY id' }))
    .then((rows) => rows.map((r) => Number(r.id)));

const insertWells = (prefix: string, count: number) =>
  t.onPool((db) =>
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
    const res = await postRaw('application/json', body);
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
    const row = await t.onPool((db) =>
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
      const res = await postRaw('application/json', body);
      expectProblem(res, 400);
    },
  );

  it('answers 400 malformed-json for a body that does not parse', async () => {
    const res = await postRaw('application/json', '{"site_code": "KS-BAD-1",');
    expectProblem(res, 400, 'malformed-json');
    expect(res.body.detail).not.toMatch(/Unexpected|position|JSON\.parse/);
  });

  it('answers 415 for a text/plain body and writes nothing', async () => {
    const res = await postRaw('text/plain', JSON.stringify(validWell('KS-TXT-1')));
    expectProblem(res, 415, 'unsupported-media-type');
    expect(await countWells('site_code = $1', ['KS-TXT-1'])).toBe(0);
  });

  it('answers 413 for a body over the configured limit', async () => {
    const small = buildTestApp(t.database.url, { bodyLimitBytes: 1024, poolSize: 1 });
    try {
      const res = await request(small.app)
        .post('/api/v1/wells')
        .set(...bearer(t.keys.write))
        .send({ ...validWell('KS-BIG-1'), name: 'x'.repeat(2048) });
      expectProblem(res, 413, 'payload-too-large');
      // The same body under the limit is fine, so it was the size that was refused.
      await request(small.app)
        .post('/api/v1/wells')
        .set(...bearer(t.keys.write))
        .send(validWell('KS-BIG-2'))
        .expect(201);
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

let seq = 0;
/** Inserts one well straight into the table (not through the API) and returns its id. */
const insertWellRow = (fields: {
  county?: string | null;
  status?: string;
  type?: string;
  lat?: number;
  lon?: number;
}) =>
  t.onPool((db) =>
    insertWell(db, {
      site_code: `KS-ROW-${++seq}`,
      name: `Row well ${seq}`,
      county: fields.county,
      status: fields.status,
      type: fields.type,
      latitude: fields.lat ?? 37.5,
      longitude: fields.lon ?? -100.5,
    }),
  );

const insertObservation = (wellId: number, observedAt: string) =>
  t.onPool((db) => insertObservations(db, wellId, [[observedAt, 42.5]]));

// Table and column come from the literal types here, never from a request.
const count = (table: 'wells' | 'observations' | 'well_contacts' | 'contacts', column: string, value: number) =>
  t.onPool((db) => countRows(db, table, `${column} = $1`, [value]));

const listIds = (query: Record<string, string | number>) =>
  request(t.app)
    .get('/api/v1/wells')
    .query({ limit: 500, ...query })
    .expect(200)
    .then((res) => {
      expect(res.body.next_cursor).toBeNull();
      return (res.body.items as { id: number }[]).map((w) => w.id);
    });

describe('POST /api/v1/wells: type, elevation and construction date', () => {
  it.each(['Public Supply', 'public_supply', ' PUBLIC-SUPPLY '])(
    'canonicalises type %p to public-supply',
    async (type) => {
      const code = `KS-TYPE-${type.trim().replace(/\W/g, '')}`;
      const res = await post({ ...validWell(code), type }).expect(201);
      expect(res.body.type).toBe('public-supply');
      expect(await countWells("site_code = $1 AND type = 'public-supply'", [code])).toBe(1);
    },
  );

  it('defaults status and type to unknown and the optional fields to null', async () => {
    const res = await post({ site_code: 'KS-MIN-1', name: 'Minimal', latitude: 45, longitude: 2 }).expect(201);
    expect(res.body).toMatchObject({
      status: 'unknown',
      type: 'unknown',
      county: null,
      elevation_ft: null,
      well_depth_ft: null,
      construction_date: null,
    });
  });

  it('answers 422 unknown-term for an unknown type, listing the allowed terms, and writes nothing', async () => {
    const res = await post({ ...validWell('KS-TYPE-BAD'), type: 'geothermal' });
    expectProblem(res, 422, 'unknown-term');
    expect(res.body.errors).toEqual([{ path: 'body.type', message: expect.stringContaining('public-supply') }]);
    expect(await countWells('site_code = $1', ['KS-TYPE-BAD'])).toBe(0);
  });

  it('answers 400, not 422, when an unknown term comes with another fault', async () => {
    const res = await post({ ...validWell('KS-TYPE-BAD2'), type: 'geothermal', latitude: 100 });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['body.latitude', 'body.type']);
  });

  it('stores elevation and construction date and returns the date as YYYY-MM-DD', async () => {
    const res = await post({ ...validWell('KS-DATE-1'), elevation_ft: 2950.5, construction_date: '1998-06-15' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ elevation_ft: 2950.5, construction_date: '1998-06-15' });
    expect(await countWells("site_code = 'KS-DATE-1' AND construction_date = DATE '1998-06-15'")).toBe(1);
  });

  const inTwoDays = () => new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  it.each([
    ['an impossible day', () => '2023-02-29'],
    ['month 13', () => '2020-13-01'],
    ['a date before 1800', () => '1799-12-31'],
    ['a date in the future', inTwoDays],
    ['a timestamp', () => '2020-01-01T00:00:00Z'],
    ['a number', () => 20200101],
  ])('answers 400 on body.construction_date for %s', async (_label, date) => {
    const res = await post({ ...validWell('KS-DATE-BAD'), construction_date: date() });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['body.construction_date']);
    expect(await countWells('site_code = $1', ['KS-DATE-BAD'])).toBe(0);
  });

  it('accepts 2024-02-29, a real leap day', async () => {
    await post({ ...validWell('KS-LEAP-1'), construction_date: '2024-02-29' }).expect(201);
  });

  it.each([
    ['elevation_ft', 30_001],
    ['elevation_ft', 'high'],
    ['site_code', 'has space'],
    ['site_code', ''],
    ['name', 'x'.repeat(201)],
    ['county', 12],
  ])('answers 400 when %s is %p', async (field, value) => {
    const res = await post({ ...validWell('KS-FIELD-BAD'), [field]: value });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual([`body.${field}`]);
  });
});

describe('GET /api/v1/wells filters', () => {
  let ids: Record<string, number>;
  beforeAll(async () => {
    ids = {
      lowerCounty: await insertWellRow({ county: 'Filterton', status: 'active', type: 'irrigation' }),
      upperCounty: await insertWellRow({ county: 'FILTERTON', status: 'inactive', type: 'public-supply' }),
      otherCounty: await insertWellRow({ county: 'Elsewhere', status: 'active', type: 'public-supply' }),
      east: await insertWellRow({ county: 'Dateline', lat: 1, lon: 179.5 }),
      west: await insertWellRow({ county: 'Dateline', lat: -1, lon: -179.5 }),
      greenwich: await insertWellRow({ county: 'Dateline', lat: 0, lon: 0 }),
      north: await insertWellRow({ county: 'Dateline', lat: 20, lon: 179.5 }),
    } as Record<string, number>;
  });

  it('matches county without regard to case', async () => {
    const expected = [ids.lowerCounty, ids.upperCounty];
    expect(await listIds({ county: 'filterton' })).toEqual(expected);
    expect(await listIds({ county: ' FilterTon ' })).toEqual(expected);
  });

  it('filters on status and type, alone and combined with county', async () => {
    expect(await listIds({ county: 'filterton', status: 'active' })).toEqual([ids.lowerCounty]);
    expect(await listIds({ county: 'filterton', type: 'public-supply' })).toEqual([ids.upperCounty]);
    const active = await listIds({ status: 'active' });
    expect(active).toEqual(expect.arrayContaining([ids.lowerCounty, ids.otherCounty]));
    expect(active).not.toContain(ids.upperCounty);
    expect(await countWells("status = 'active'")).toBe(active.length);
  });

  it.each(['Public Supply', 'public_supply', 'PUBLIC-SUPPLY'])(
    'canonicalises type=%p to public-supply',
    async (type) => {
      const found = await listIds({ type });
      expect(found).toEqual(expect.arrayContaining([ids.upperCounty, ids.otherCounty]));
      expect(found).toHaveLength(await countWells("type = 'public-supply'"));
    },
  );

  it('answers 422 for an unknown status, listing the allowed values', async () => {
    const res = await request(t.app).get('/api/v1/wells').query({ status: 'dry' });
    expectProblem(res, 422, 'unknown-term');
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toBe('query.status');
    for (const term of ['active', 'inactive', 'plugged', 'destroyed', 'unknown']) {
      expect(res.body.errors[0].message).toContain(term);
    }
  });

  it('keeps only wells inside a bounding box', async () => {
    expect(await listIds({ bbox: '-0.5,-0.5,0.5,0.5' })).toEqual([ids.greenwich]);
  });

  it('wraps a bounding box whose minLon > maxLon across the antimeridian', async () => {
    expect(await listIds({ bbox: '179,-10,-179,10' })).toEqual([ids.east, ids.west]);
    // The same longitudes the ordinary way round span the globe the other side, past Greenwich.
    expect(await listIds({ bbox: '-179,-10,179,10' })).toEqual([ids.greenwich]);
  });

  it.each([
    ['three numbers', '1,2,3'],
    ['five numbers', '1,2,3,4,5'],
    ['words', 'a,b,c,d'],
    ['minLat > maxLat', '0,10,1,5'],
    ['a longitude past 180', '179,0,181,1'],
    ['a latitude past 90', '0,-91,1,1'],
    ['an empty part', '0,,1,1'],
    ['hex', '0x1,0,1,1'],
  ])('answers 400 on query.bbox for %s', async (_label, bbox) => {
    const res = await request(t.app).get('/api/v1/wells').query({ bbox });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['query.bbox']);
  });
});

describe('GET /api/v1/wells pagination while rows are inserted', () => {
  it.each([
    ['without a filter', {}, null],
    ['with a county filter', { county: 'pageville' }, 'Pageville'],
  ] as const)('never skips or repeats a row %s', async (_label, filter, county) => {
    for (let i = 0; i < 8; i++) await insertWellRow({ county: i % 2 === 0 ? 'Pageville' : 'Elsewhere' });
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 1000; page++) {
      const res = await request(t.app)
        .get('/api/v1/wells')
        .query({ limit: 3, ...filter, ...(cursor === null ? {} : { cursor }) })
        .expect(200);
      seen.push(...(res.body.items as { id: number }[]).map((w) => w.id));
      cursor = res.body.next_cursor as string | null;
      if (cursor === null) break;
      // Rows that match and rows that do not arrive between pages.
      await insertWellRow({ county: 'Pageville' });
      if (page < 3) await insertWellRow({ county: 'Elsewhere' });
    }
    expect(cursor).toBeNull();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    // Every row that matches now was seen: none skipped, and the late ones too.
    const matching = await t.onPool((db) =>
      db.many<{ id: string }>({
        text: 'SELECT id FROM wells WHERE $1::text IS NULL OR county = $1 ORDER BY id',
        values: [county],
      }),
    );
    expect(seen).toEqual(matching.map((r) => Number(r.id)));
  });
});

describe('PATCH /api/v1/wells/:id', () => {
  const patch = (id: number | string, body: unknown) =>
    request(t.app)
      .patch(`/api/v1/wells/${id}`)
      .set(...bearer(t.keys.write))
      .send(body as object);

  it('changes only the fields sent and advances updated_at', async () => {
    const created = await post({ ...validWell('KS-PATCH-1'), elevation_ft: 3000 }).expect(201);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const res = await patch(created.body.id, { name: '  Renamed  ', status: 'Plugged' }).expect(200);
    expect(res.body).toEqual({
      ...created.body,
      name: 'Renamed',
      status: 'plugged',
      updated_at: expect.any(String),
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(created.body.updated_at));
    expect(res.body.created_at).toBe(created.body.created_at);
    const got = await request(t.app).get(`/api/v1/wells/${created.body.id}`).expect(200);
    expect(got.body).toEqual(res.body);
  });

  it('clears an optional field sent as null', async () => {
    const created = await post({ ...validWell('KS-PATCH-NULL'), construction_date: '2001-05-05' }).expect(201);
    const res = await patch(created.body.id, { county: null, construction_date: null }).expect(200);
    expect(res.body).toMatchObject({ county: null, construction_date: null, name: created.body.name });
    expect(await countWells("site_code = 'KS-PATCH-NULL' AND county IS NULL AND construction_date IS NULL")).toBe(1);
  });

  it.each([
    ['an unknown field', { owner: 'x' }, ['body.owner']],
    ['null for a required field', { name: null }, ['body.name']],
    ['an out-of-range latitude', { latitude: -91 }, ['body.latitude']],
    ['an id', { id: 5 }, ['body.id']],
  ])('answers 400 for %s and changes nothing', async (_label, body, paths) => {
    const created = await post(validWell(`KS-PATCH-BAD-${paths.join()}`)).expect(201);
    const res = await patch(created.body.id, body);
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(paths);
    const got = await request(t.app).get(`/api/v1/wells/${created.body.id}`).expect(200);
    expect(got.body).toEqual(created.body);
  });

  it('answers 400 for an empty body', async () => {
    const created = await post(validWell('KS-PATCH-EMPTY')).expect(201);
    expectProblem(await patch(created.body.id, {}), 400, 'validation-failed');
  });

  it('answers 422 for an unknown status term', async () => {
    const created = await post(validWell('KS-PATCH-TERM')).expect(201);
    const res = await patch(created.body.id, { status: 'dry' });
    expectProblem(res, 422, 'unknown-term');
    expect(errorPaths(res)).toEqual(['body.status']);
  });

  it('answers 409 naming body.site_code when the new site_code is taken, and changes nothing', async () => {
    await post(validWell('KS-PATCH-TAKEN')).expect(201);
    const created = await post(validWell('KS-PATCH-MINE')).expect(201);
    const res = await patch(created.body.id, { site_code: 'KS-PATCH-TAKEN', name: 'Would change' });
    expectProblem(res, 409, 'conflict');
    expect(res.body.errors).toEqual([{ path: 'body.site_code', message: expect.any(String) }]);
    expect(JSON.stringify(res.body)).not.toMatch(/wells_site_code_key|duplicate key|23505/);
    expect(await countWells("site_code = 'KS-PATCH-MINE' AND name = 'Well KS-PATCH-MINE'")).toBe(1);
  });

  it('answers 404 for an absent well and 400 for a bad id', async () => {
    expectProblem(await patch(987654321, { name: 'x' }), 404, 'not-found');
    const res = await patch('abc', { name: 'x' });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['params.id']);
  });
});

describe('DELETE /api/v1/wells/:id', () => {
  const del = (id: number | string, query = '') =>
    request(t.app)
      .delete(`/api/v1/wells/${id}${query}`)
      .set(...bearer(t.keys.write));

  it('answers 204 and the well is gone', async () => {
    const id = await insertWellRow({});
    const res = await del(id).expect(204);
    expect(res.text).toBe('');
    expect(await count('wells', 'id', id)).toBe(0);
    expectProblem(await request(t.app).get(`/api/v1/wells/${id}`), 404, 'not-found');
  });

  it('answers 404 for an absent well, with or without cascade, and 400 for a bad id', async () => {
    expectProblem(await del(987654321), 404, 'not-found');
    expectProblem(await del(987654321, '?cascade=true'), 404, 'not-found');
    const res = await del('0');
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['params.id']);
  });

  it('answers 400 for a cascade that is not a boolean', async () => {
    const id = await insertWellRow({});
    const res = await del(id, '?cascade=maybe');
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['query.cascade']);
    expect(await count('wells', 'id', id)).toBe(1);
  });

  it.each(['', '?cascade=false'])('answers 409 well-has-observations (%p) and keeps both rows', async (query) => {
    const id = await insertWellRow({});
    await insertObservation(id, '2024-05-01T12:00:00Z');
    const res = await del(id, query);
    expectProblem(res, 409, 'well-has-observations');
    expect(errorPaths(res)).toEqual(['query.cascade']);
    expect(JSON.stringify(res.body)).not.toMatch(/observations_|fkey|23503|violates/);
    expect(await count('wells', 'id', id)).toBe(1);
    expect(await count('observations', 'well_id', id)).toBe(1);
  });

  it('with cascade=true deletes the well, its observations and its contact links, and nothing else', async () => {
    const id = await insertWellRow({});
    const other = await insertWellRow({});
    for (const at of ['2024-05-01T12:00:00Z', '2024-05-02T12:00:00Z']) await insertObservation(id, at);
    await insertObservation(other, '2024-05-01T12:00:00Z');
    const contactId = await t.onPool((db) =>
      db
        .one<{ id: string }>({ text: "INSERT INTO contacts (name) VALUES ('Linked contact') RETURNING id" })
        .then((r) => Number(r.id)),
    );
    await t.onPool((db) =>
      db.exec({
        text: "INSERT INTO well_contacts (well_id, contact_id, role) VALUES ($1, $3, 'owner'), ($2, $3, 'owner')",
        values: [id, other, contactId],
      }),
    );
    await del(id, '?cascade=true').expect(204);
    expect(await count('wells', 'id', id)).toBe(0);
    expect(await count('observations', 'well_id', id)).toBe(0);
    expect(await count('well_contacts', 'well_id', id)).toBe(0);
    // The contact itself stays, and so does everything of the other well.
    expect(await count('contacts', 'id', contactId)).toBe(1);
    expect(await count('observations', 'well_id', other)).toBe(1);
    expect(await count('well_contacts', 'well_id', other)).toBe(1);
  });

  it('deletes a well that has only contact links without cascade', async () => {
    const id = await insertWellRow({});
    await t.onPool((db) =>
      db.exec({
        text: `WITH c AS (INSERT INTO contacts (name) VALUES ('Solo') RETURNING id)
               INSERT INTO well_contacts (well_id, contact_id, role) SELECT $1, id, 'observer' FROM c`,
        values: [id],
      }),
    );
    await del(id).expect(204);
    expect(await count('well_contacts', 'well_id', id)).toBe(0);
  });
});

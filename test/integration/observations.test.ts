import request from 'supertest';
import { bearer } from '../support/api-keys';
import { useApiFixture } from '../support/api-fixture';
import { errorPaths, expectProblem } from '../support/problem-assertions';
import { countRows, insertObservations, insertWell, type Reading } from '../support/table-rows';

jest.setTimeout(60_000);

const t = useApiFixture({ label: 'observations', keys: ['write', 'read'] });

let siteSeq = 0;
/** A well straight in the database; its id as a number. */
const createWell = (county: string | null = 'Finney') =>
  t.database.query((db) =>
    insertWell(db, { site_code: `OBS-${++siteSeq}`, name: 'Obs well', county, latitude: 37.9, longitude: -100.8 }),
  );

/** Observations straight in the database, as [ISO instant, depth] pairs. */
const seedObservations = (wellId: number, rows: readonly Reading[]) =>
  t.database.query((db) => insertObservations(db, wellId, rows));

const countObservations = (wellId: number) =>
  t.database.query((db) => countRows(db, 'observations', 'well_id = $1', [wellId]));

const postObservation = (wellId: number | string, body: unknown, key: string | null = t.keys.write) => {
  const req = request(t.app).post(`/api/v1/wells/${wellId}/observations`);
  if (key !== null) req.set(...bearer(key));
  return req.send(body as object);
};

const hourly = (startIso: string, count: number, depth: (i: number) => number = (i) => 100 + i) =>
  Array.from({ length: count }, (_, i) => {
    const at = new Date(Date.parse(startIso) + i * 3_600_000).toISOString();
    return [at, depth(i)] as const;
  });

const valid = { observed_at: '2024-01-01T00:00:00Z', depth_to_water_ft: 1 };

describe('POST /api/v1/wells/:id/observations', () => {
  it('creates an observation with defaults, answers 201 with Location, and GET returns the same', async () => {
    const wellId = await createWell();
    const res = await postObservation(wellId, { observed_at: '2024-05-01T14:30:00Z', depth_to_water_ft: 42.25 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      well_id: wellId,
      observed_at: '2024-05-01T14:30:00.000Z',
      depth_to_water_ft: 42.25,
      method: 'unknown',
      data_quality: 'provisional',
      observer: null,
      notes: null,
      created_at: expect.any(String),
    });
    expect(res.headers.location).toBe(`/api/v1/observations/${res.body.id}`);
    const got = await request(t.app)
      .get(res.headers.location as string)
      .expect(200);
    expect(got.body).toEqual(res.body);
    expect(await countObservations(wellId)).toBe(1);
  });

  it('canonicalises terms, offsets, numeric strings and text', async () => {
    const wellId = await createWell();
    const res = await postObservation(wellId, {
      observed_at: '2024-05-01T10:30:00.123+02:00',
      depth_to_water_ft: ' 12.5 ',
      method: 'Steel Tape',
      data_quality: ' Approved ',
      observer: '  J. Smith ',
      notes: 'chalk cut at 12.5',
    }).expect(201);
    expect(res.body).toMatchObject({
      observed_at: '2024-05-01T08:30:00.123Z',
      depth_to_water_ft: 12.5,
      method: 'steel-tape',
      data_quality: 'approved',
      observer: 'J. Smith',
    });
    const row = await t.database.query((db) =>
      db.one<Record<string, unknown>>({
        text: `SELECT to_char(observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS at, method, data_quality
               FROM observations WHERE id = $1`,
        values: [res.body.id],
      }),
    );
    expect(row).toEqual({ at: '2024-05-01T08:30:00.123', method: 'steel-tape', data_quality: 'approved' });
  });

  it('accepts a negative depth (water above land surface) and an instant within a day ahead', async () => {
    const wellId = await createWell();
    const soon = new Date(Date.now() + 12 * 3_600_000).toISOString();
    const res = await postObservation(wellId, { observed_at: soon, depth_to_water_ft: -3.5 }).expect(201);
    expect(res.body).toMatchObject({ observed_at: soon, depth_to_water_ft: -3.5 });
  });

  it('answers 401 without a key and 403 with a read key, writing nothing', async () => {
    const wellId = await createWell();
    const body = { observed_at: '2024-01-01T00:00:00Z', depth_to_water_ft: 1 };
    const anonymous = await postObservation(wellId, body, null);
    expectProblem(anonymous, 401, 'unauthorized');
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expectProblem(await postObservation(wellId, body, t.keys.read), 403, 'forbidden');
    expect(await countObservations(wellId)).toBe(0);
  });

  it('answers 404 for a well that does not exist', async () => {
    const res = await postObservation(987_654_321, { observed_at: '2024-01-01T00:00:00Z', depth_to_water_ft: 1 });
    expectProblem(res, 404, 'not-found');
  });

  it('answers 409 for a second reading at the same instant, naming observed_at but not the constraint', async () => {
    const wellId = await createWell();
    await postObservation(wellId, { observed_at: '2024-03-01T12:00:00Z', depth_to_water_ft: 10 }).expect(201);
    // The same instant, written with an offset.
    const res = await postObservation(wellId, { observed_at: '2024-03-01T07:00:00-05:00', depth_to_water_ft: 11 });
    expectProblem(res, 409, 'conflict');
    expect(res.body.errors).toEqual([{ path: 'body.observed_at', message: expect.any(String) }]);
    expect(JSON.stringify(res.body)).not.toMatch(/observations_well_instant_key|duplicate key|23505/);
    expect(await countObservations(wellId)).toBe(1);
    // Another well may have a reading at that instant.
    const other = await createWell();
    await postObservation(other, { observed_at: '2024-03-01T12:00:00Z', depth_to_water_ft: 10 }).expect(201);
  });

  it('answers 422 unknown-term for an unknown method, listing the allowed values', async () => {
    const wellId = await createWell();
    const res = await postObservation(wellId, {
      observed_at: '2024-01-01T00:00:00Z',
      depth_to_water_ft: 1,
      method: 'dowsing rod',
    });
    expectProblem(res, 422, 'unknown-term');
    expect(res.body.errors).toEqual([{ path: 'body.method', message: expect.stringContaining('steel-tape') }]);
    for (const term of ['electric-tape', 'pressure-transducer', 'acoustic', 'airline', 'other', 'unknown']) {
      expect(res.body.errors[0].message).toContain(term);
    }
    expect(await countObservations(wellId)).toBe(0);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['no fields', {}, ['body.depth_to_water_ft', 'body.observed_at']],
    ['depth -1000', { ...valid, depth_to_water_ft: -1000 }, ['body.depth_to_water_ft']],
    ['depth 100000', { ...valid, depth_to_water_ft: 100_000 }, ['body.depth_to_water_ft']],
    ['depth "abc"', { ...valid, depth_to_water_ft: 'abc' }, ['body.depth_to_water_ft']],
    ['depth "NaN"', { ...valid, depth_to_water_ft: 'NaN' }, ['body.depth_to_water_ft']],
    ['depth null', { ...valid, depth_to_water_ft: null }, ['body.depth_to_water_ft']],
    ['an unzoned instant', { ...valid, observed_at: '2024-01-01T00:00:00' }, ['body.observed_at']],
    ['an impossible date', { ...valid, observed_at: '2023-02-29T00:00:00Z' }, ['body.observed_at']],
    ['an instant before 1800', { ...valid, observed_at: '1799-12-31T23:59:59Z' }, ['body.observed_at']],
    ['an instant two days ahead', { ...valid, observed_at: 'FUTURE' }, ['body.observed_at']],
    ['an empty observer', { ...valid, observer: '   ' }, ['body.observer']],
    ['a 201-character observer', { ...valid, observer: 'x'.repeat(201) }, ['body.observer']],
    ['2001-character notes', { ...valid, notes: 'x'.repeat(2001) }, ['body.notes']],
    ['an unknown field', { ...valid, well_id: 5 }, ['body.well_id']],
  ])('answers 400 for %s, writing nothing', async (_label, body, paths) => {
    const wellId = await createWell();
    const sent =
      body.observed_at === 'FUTURE'
        ? { ...body, observed_at: new Date(Date.now() + 2 * 86_400_000).toISOString() }
        : body;
    const res = await postObservation(wellId, sent);
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(paths);
    expect(await countObservations(wellId)).toBe(0);
  });

  it('accepts the boundary values 1800-01-01, 200-character observer and 2000-character notes', async () => {
    const wellId = await createWell();
    await postObservation(wellId, {
      observed_at: '1800-01-01T00:00:00Z',
      depth_to_water_ft: -999.99,
      observer: 'o'.repeat(200),
      notes: 'n'.repeat(2000),
    }).expect(201);
  });

  it('answers 400 for a malformed well id', async () => {
    const res = await postObservation('abc', valid);
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['params.id']);
  });
});

describe('GET and DELETE /api/v1/observations/:id', () => {
  it('answers 404 for an absent observation and 400 for a malformed id', async () => {
    expectProblem(await request(t.app).get('/api/v1/observations/987654321'), 404, 'not-found');
    const bad = await request(t.app).get('/api/v1/observations/0');
    expectProblem(bad, 400, 'validation-failed');
    expect(errorPaths(bad)).toEqual(['params.id']);
  });

  it('deletes with a write key (204), then answers 404 to GET and DELETE', async () => {
    const wellId = await createWell();
    const created = await postObservation(wellId, valid).expect(201);
    const path = `/api/v1/observations/${created.body.id}`;
    expectProblem(await request(t.app).delete(path), 401, 'unauthorized');
    expectProblem(
      await request(t.app)
        .delete(path)
        .set(...bearer(t.keys.read)),
      403,
      'forbidden',
    );
    expect(await countObservations(wellId)).toBe(1);
    const res = await request(t.app)
      .delete(path)
      .set(...bearer(t.keys.write))
      .expect(204);
    expect(res.text).toBe('');
    expect(await countObservations(wellId)).toBe(0);
    expectProblem(await request(t.app).get(path), 404, 'not-found');
    expectProblem(
      await request(t.app)
        .delete(path)
        .set(...bearer(t.keys.write)),
      404,
      'not-found',
    );
  });
});

describe('DELETE /api/v1/wells/:id with observations', () => {
  it('answers 409 while observations exist, and cascade=true deletes both', async () => {
    const wellId = await createWell();
    await seedObservations(wellId, hourly('2024-01-01T00:00:00Z', 3));
    const refused = await request(t.app)
      .delete(`/api/v1/wells/${wellId}`)
      .set(...bearer(t.keys.write));
    expectProblem(refused, 409);
    expect(await countObservations(wellId)).toBe(3);
    await request(t.app).get(`/api/v1/wells/${wellId}`).expect(200);
    await request(t.app)
      .delete(`/api/v1/wells/${wellId}?cascade=true`)
      .set(...bearer(t.keys.write))
      .expect(204);
    expect(await countObservations(wellId)).toBe(0);
    expectProblem(await request(t.app).get(`/api/v1/wells/${wellId}`), 404, 'not-found');
    expectProblem(await request(t.app).get(`/api/v1/wells/${wellId}/observations`), 404, 'not-found');
  });
});

describe('GET /api/v1/wells/:id/observations', () => {
  type Item = { id: number; observed_at: string; depth_to_water_ft: number };
  const list = (wellId: number | string, query: Record<string, string | number> = {}) =>
    request(t.app).get(`/api/v1/wells/${wellId}/observations`).query(query);
  const instants = (res: request.Response) => (res.body.items as Item[]).map((o) => o.observed_at);

  it('answers 404 for an unknown well and 200 with no items for a well without observations', async () => {
    expectProblem(await list(987_654_321), 404, 'not-found');
    const wellId = await createWell();
    expect((await list(wellId).expect(200)).body).toEqual({ items: [], next_cursor: null });
  });

  it('lists only this well’s observations, ascending, with full DTOs', async () => {
    const wellId = await createWell();
    const other = await createWell();
    // Inserted out of order, so ascending output is the query's doing.
    const rows = [...hourly('2024-02-01T00:00:00Z', 4)].reverse();
    await seedObservations(wellId, rows);
    await seedObservations(other, hourly('2024-02-01T00:30:00Z', 4));
    const res = await list(wellId).expect(200);
    expect(instants(res)).toEqual(hourly('2024-02-01T00:00:00Z', 4).map((r) => r[0]));
    expect(res.body.items[0]).toEqual({
      id: expect.any(Number),
      well_id: wellId,
      observed_at: '2024-02-01T00:00:00.000Z',
      depth_to_water_ft: 100,
      method: 'unknown',
      data_quality: 'provisional',
      observer: null,
      notes: null,
      created_at: expect.any(String),
    });
    expect(res.body.next_cursor).toBeNull();
  });

  it('filters with from inclusive and to exclusive, in any zone notation', async () => {
    const wellId = await createWell();
    const rows = hourly('2024-03-01T00:00:00Z', 10);
    await seedObservations(wellId, rows);
    const between = (from: number, to: number) => rows.slice(from, to).map((r) => r[0]);
    expect(
      instants(await list(wellId, { from: '2024-03-01T02:00:00Z', to: '2024-03-01T05:00:00Z' }).expect(200)),
    ).toEqual(between(2, 5));
    // The same window written with offsets.
    const offset = await list(wellId, { from: '2024-03-01T04:00:00+02:00', to: '2024-02-29T23:00:00-06:00' }).expect(
      200,
    );
    expect(instants(offset)).toEqual(between(2, 5));
    // An unencoded "+" arrives as a space; it still means the offset.
    const raw = await request(t.app)
      .get(`/api/v1/wells/${wellId}/observations?from=2024-03-01T10:00:00+02:00`)
      .expect(200);
    expect(instants(raw)).toEqual(between(8, 10));
    expect(instants(await list(wellId, { from: '2024-03-01T08:00:00Z' }).expect(200))).toEqual(between(8, 10));
    expect(instants(await list(wellId, { to: '2024-03-01T01:00:00Z' }).expect(200))).toEqual(between(0, 1));
    // from = to is an empty window, not an error.
    const empty = await list(wellId, { from: '2024-03-01T03:00:00Z', to: '2024-03-01T03:00:00Z' }).expect(200);
    expect(empty.body).toEqual({ items: [], next_cursor: null });
  });

  it('answers 400 when from is later than to', async () => {
    const wellId = await createWell();
    const res = await list(wellId, { from: '2024-03-01T03:00:00Z', to: '2024-03-01T02:59:59.999Z' });
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(['query.from']);
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['an unzoned from', { from: '2024-03-01T03:00:00' }, ['query.from']],
    ['a garbage to', { to: 'yesterday' }, ['query.to']],
    ['limit 0', { limit: '0' }, ['query.limit']],
    ['limit 501', { limit: '501' }, ['query.limit']],
    ['a garbage cursor', { cursor: 'not a cursor!' }, ['query.cursor']],
    ['a cursor without an instant', { cursor: Buffer.from('{"after":"x"}').toString('base64url') }, ['query.cursor']],
    ['a wells cursor', { cursor: Buffer.from('{"after_id":"1"}').toString('base64url') }, ['query.cursor']],
    ['an unknown parameter', { sort: 'depth' }, ['query.sort']],
  ])('answers 400 for %s', async (_label, query, paths) => {
    const wellId = await createWell();
    const res = await list(wellId, query);
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(paths);
  });

  it('uses a default limit of 50 and accepts 1 and 500', async () => {
    const wellId = await createWell();
    await seedObservations(wellId, hourly('2023-01-01T00:00:00Z', 60));
    const first = await list(wellId).expect(200);
    expect(first.body.items).toHaveLength(50);
    const rest = await list(wellId, { cursor: first.body.next_cursor }).expect(200);
    expect(rest.body.items).toHaveLength(10);
    expect(rest.body.next_cursor).toBeNull();
    expect((await list(wellId, { limit: 1 }).expect(200)).body.items).toHaveLength(1);
    expect((await list(wellId, { limit: 500 }).expect(200)).body.items).toHaveLength(60);
    // Exactly filling the last page: no further cursor.
    expect((await list(wellId, { limit: 60 }).expect(200)).body.next_cursor).toBeNull();
  });

  it('never skips or repeats a row while rows are inserted before and after the cursor between pages', async () => {
    const wellId = await createWell();
    const initial = hourly('2024-06-01T00:00:00Z', 20).map((r) => r[0]);
    await seedObservations(
      wellId,
      initial.map((at) => [at, 50] as const),
    );
    const expected = new Set(initial);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const res: request.Response = await list(wellId, cursor === null ? { limit: 4 } : { limit: 4, cursor }).expect(
        200,
      );
      seen.push(...instants(res));
      cursor = res.body.next_cursor as string | null;
      if (cursor === null) break;
      const position = Date.parse(seen[seen.length - 1] as string);
      // Behind the cursor (never to be served) and ahead of it (must be served once), 1 ms from the edge.
      const behind = new Date(position - 1 - page * 60_000).toISOString();
      const ahead = new Date(position + 1).toISOString();
      await seedObservations(wellId, [
        [behind, 1],
        [ahead, 2],
      ]);
      expected.add(ahead);
    }
    expect(cursor).toBeNull();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...expected].sort());
    // The rows behind the cursor really were inserted, so not seeing them was the keyset's doing.
    expect(await countObservations(wellId)).toBe(seen.length + (seen.length - initial.length));
  });
});

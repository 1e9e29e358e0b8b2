import request from 'supertest';
import { SEARCH_SQL, searchValues } from '../../server/search/queries';
import { useApiFixture } from '../support/api-fixture';
import { errorPaths, expectProblem } from '../support/problem-assertions';
import { insertWell } from '../support/table-rows';

jest.setTimeout(120_000);

const t = useApiFixture({ label: 'search' });

interface Hit {
  kind: 'well' | 'contact';
  id: number;
  label: string;
  matched: string;
  score: number;
}

const ids: Record<string, number> = {};

const addWell = async (key: string, siteCode: string, name: string, county: string | null) => {
  ids[key] = await t.database.query((db) =>
    insertWell(db, { site_code: siteCode, name, county, latitude: 38, longitude: -99 }),
  );
};

const addContact = async (key: string, name: string, organization: string | null) => {
  const row = await t.database.query((db) =>
    db.one<{ id: string }>({
      text: 'INSERT INTO contacts (name, organization) VALUES ($1, $2) RETURNING id',
      values: [name, organization],
    }),
  );
  ids[key] = Number(row.id);
};

beforeAll(async () => {
  await addWell('exactSite', 'ARK', 'Pasture north', 'Finney');
  await addWell('prefixSite', 'ARK-7', 'Stock tank', 'Gray');
  await addWell('partialName', 'KS-200', 'Arkansas River monitor', 'Ford');
  await addWell('unrelatedWell', 'KS-300', 'Smoky Hill', 'Trego');
  await addContact('organization', 'Lee Hart', 'Ark Valley Water');
  await addContact('unrelatedContact', 'Zed Brown', 'Cimarron Irrigation');
  await addWell('percent', 'KS-401', 'Tank 100% full', null);
  await addWell('noPercent', 'KS-402', 'Tank 1000 full', null);
  await addWell('underscore', 'KS-403', 'Gate a_b', null);
  await addWell('noUnderscore', 'KS-404', 'Gate axb', null);
  await addWell('backslash', 'KS-405', 'Vault pqr\\stu', null);
  await addWell('tieWell', 'KS-501', 'Bluestem', null);
  await addContact('tieContact', 'Bluestem', null);
});

const search = async (query: Record<string, unknown>) => {
  const res = await request(t.app).get('/api/v1/search').query(query).expect(200);
  return res.body as { q: string; items: Hit[] };
};

const keyOf = (hit: Hit) =>
  Object.entries(ids).find(
    ([key, id]) => id === hit.id && (hit.kind === 'contact') === /contact|organization/i.test(key),
  )?.[0] ?? `${hit.kind}:${hit.id}`;

describe('GET /api/v1/search', () => {
  it('ranks an exact site code, then a prefix, then whole-word and partial matches, and leaves out the rest', async () => {
    const body = await search({ q: ' ark ' });
    expect(body.q).toBe('ark');
    expect(body.items.map(keyOf)).toEqual(['exactSite', 'prefixSite', 'organization', 'partialName']);
    const [exact, prefix, organization, partial] = body.items;
    expect(exact).toEqual({
      kind: 'well',
      id: ids.exactSite,
      label: 'Pasture north (ARK)',
      matched: 'site_code',
      score: 3,
    });
    expect(prefix).toMatchObject({ kind: 'well', matched: 'site_code', score: 2 });
    expect(organization).toEqual({
      kind: 'contact',
      id: ids.organization,
      label: 'Lee Hart (Ark Valley Water)',
      matched: 'organization',
      score: 1,
    });
    expect(partial).toMatchObject({ kind: 'well', id: ids.partialName, matched: 'name' });
    expect(partial?.score).toBeGreaterThan(0);
    expect(partial?.score).toBeLessThan(1);
  });

  it('finds by county and by a contact’s name, and honours limit', async () => {
    expect((await search({ q: 'finney' })).items).toEqual([
      expect.objectContaining({ id: ids.exactSite, kind: 'well', matched: 'county' }),
    ]);
    expect((await search({ q: 'Zed Brown' })).items.map(keyOf)).toEqual(['unrelatedContact']);
    const one = await search({ q: 'ark', limit: 1 });
    expect(one.items.map(keyOf)).toEqual(['exactSite']);
  });

  it('breaks equal scores by kind, then id', async () => {
    const body = await search({ q: 'bluestem' });
    expect(body.items.map(keyOf)).toEqual(['tieContact', 'tieWell']);
    expect(body.items[0]?.score).toBe(body.items[1]?.score);
  });

  it('treats %, _ and backslash in q as plain characters', async () => {
    expect((await search({ q: '0%' })).items.map(keyOf)).toEqual(['percent']);
    expect((await search({ q: 'a_b' })).items.map(keyOf)).toEqual(['underscore']);
    expect((await search({ q: '%%' })).items).toEqual([]);
    expect((await search({ q: '__' })).items).toEqual([]);
    // Unescaped, "qr\\st" would be the LIKE pattern for "qrst" and miss the literal backslash.
    expect((await search({ q: 'qr\\st' })).items.map(keyOf)).toEqual(['backslash']);
    expect((await search({ q: 'x\\' })).items).toEqual([]);
  });

  it.each([
    ['q missing', {}, 'query.q'],
    ['q one character after trimming', { q: '  a ' }, 'query.q'],
    ['q longer than 100 characters', { q: 'x'.repeat(101) }, 'query.q'],
    ['limit 0', { q: 'ark', limit: 0 }, 'query.limit'],
    ['limit 51', { q: 'ark', limit: 51 }, 'query.limit'],
    ['an unknown parameter', { q: 'ark', kind: 'well' }, 'query.kind'],
  ])('answers 400 for %s', async (_label, query, path) => {
    const res = await request(t.app).get('/api/v1/search').query(query);
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual([path]);
  });
});

describe('search plan', () => {
  it('reads each field’s nearest candidates from its trigram index instead of scoring every row', async () => {
    await t.database.query(async (db) => {
      await db.exec({
        text: `INSERT INTO wells (site_code, name, county, latitude, longitude)
               SELECT 'GEN-' || n, 'Generated ' || md5(n::text), (ARRAY['Finney', 'Gray', 'Ford', 'Kearny'])[n % 4 + 1], 38, -99
               FROM generate_series(1, 5000) AS n`,
      });
      await db.exec({
        text: `INSERT INTO contacts (name, organization)
               SELECT 'Person ' || md5(n::text), 'Org ' || md5((n % 50)::text) FROM generate_series(1, 3000) AS n`,
      });
      await db.exec({ text: 'VACUUM ANALYZE wells' });
      await db.exec({ text: 'VACUUM ANALYZE contacts' });
    });
    // GEN- codes all share trigrams with "GEN-1234"; ranking them must not mean scoring all 5000.
    const plan = await t.database.query((db) =>
      db.many<{ 'QUERY PLAN': string }>({
        text: `EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) ${SEARCH_SQL}`,
        values: searchValues('GEN-1234', 20),
      }),
    );
    const text = plan.map((row) => row['QUERY PLAN']).join('\n');
    for (const index of [
      'wells_site_code_trgm_idx',
      'wells_name_trgm_idx',
      'wells_county_trgm_idx',
      'contacts_name_trgm_idx',
      'contacts_organization_trgm_idx',
    ]) {
      expect(text).toMatch(
        new RegExp(`Index Scan using ${index} on \\w+[^\\n]*\\n[^\\n]*Index Cond:[^\\n]*\\n[^\\n]*Order By:`),
      );
    }
    expect(text).toMatch(/Index Scan (on|using) wells_site_code_lower_idx/);
    // Every index scan stops after the limit plus ties: none reads anywhere near all 5000 wells.
    const rowsRead = [...text.matchAll(/Index Scan[^\n]*rows=(\d+)/g)].map((m) => Number(m[1]));
    expect(rowsRead.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...rowsRead)).toBeLessThan(500);

    // The ranking is unchanged among thousands of non-matching rows.
    const body = await search({ q: 'ark' });
    expect(body.items.map(keyOf)).toEqual(['exactSite', 'prefixSite', 'organization', 'partialName']);

    // 5000 names score the same for "Generated": the tie still goes to the lowest ids.
    const lowest = await t.database.query((db) =>
      db.many<{ id: string }>({ text: "SELECT id FROM wells WHERE name LIKE 'Generated %' ORDER BY id LIMIT 5" }),
    );
    const tied = await search({ q: 'Generated', limit: 5 });
    expect(tied.items.map((hit) => [hit.kind, hit.id, hit.score])).toEqual(
      lowest.map((row) => ['well', Number(row.id), 1]),
    );
  });
});

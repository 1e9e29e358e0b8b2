import request from 'supertest';
import { VOCABULARIES, type VocabularyName } from '../../server/lexicon/vocabularies';
import { useApiFixture } from '../support/api-fixture';

// The machine is shared and noisy; these bounds only stop a hung test.
jest.setTimeout(120_000);

const t = useApiFixture({ label: 'lexicon', acquireTimeoutMs: 15_000, statementTimeoutMs: 20_000 });

const NAMES = Object.keys(VOCABULARIES) as VocabularyName[];

/** The terms a lookup table holds, in display order. */
const tableTerms = (name: VocabularyName) =>
  t.onPool((db) =>
    db
      // The table name comes from the VOCABULARIES constant, never from a request.
      .many<{ term: string }>({ text: `SELECT term FROM ${VOCABULARIES[name].table} ORDER BY sort_order, term` })
      .then((rows) => rows.map((r) => r.term)),
  );

describe('the lookup tables', () => {
  it.each(NAMES)('hold exactly the terms of %s in server/lexicon/vocabularies.ts, in order', async (name) => {
    expect(await tableTerms(name)).toEqual([...VOCABULARIES[name].terms]);
  });

  it('are every vocabulary table the migrations created', async () => {
    // A lookup table added by a migration but missing from VOCABULARIES would escape the check above.
    const tables = await t.onPool((db) =>
      db.many<{ table_name: string }>({
        text: `SELECT c.table_name FROM information_schema.columns c
               WHERE c.table_schema = 'public' AND c.column_name IN ('term', 'label', 'description', 'sort_order')
               GROUP BY c.table_name HAVING count(*) = 4 ORDER BY c.table_name`,
      }),
    );
    expect(tables.map((r) => r.table_name)).toEqual(NAMES.map((n) => VOCABULARIES[n].table).sort());
  });
});

describe('GET /api/v1/lexicon', () => {
  it('returns every vocabulary with its terms, labels and descriptions, as the tables hold them', async () => {
    const res = await request(t.app).get('/api/v1/lexicon').expect(200);
    expect(Object.keys(res.body).sort()).toEqual([...NAMES].sort());
    for (const name of NAMES) {
      const entries = res.body[name] as { term: string; label: string; description: string }[];
      expect({ name, terms: entries.map((e) => e.term) }).toEqual({ name, terms: [...VOCABULARIES[name].terms] });
      for (const e of entries) {
        expect(e).toEqual({ term: e.term, label: expect.any(String), description: expect.any(String) });
        expect(e.label.length).toBeGreaterThan(0);
      }
    }
    expect(res.body.well_type).toContainEqual({
      term: 'public-supply',
      label: 'Public supply',
      description: 'Municipal or community water system',
    });
  });

  it('is public and cacheable', async () => {
    const res = await request(t.app).get('/api/v1/lexicon').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
  });

  it('reflects a term added to a table (it reads the database, not the code)', async () => {
    const inserted = await t.onPool((db) =>
      db.exec({
        text: "INSERT INTO contact_roles (term, label, description, sort_order) VALUES ('tester', 'Tester', 'Test only', 99)",
      }),
    );
    expect(inserted).toBe(1);
    try {
      const res = await request(t.app).get('/api/v1/lexicon').expect(200);
      expect(res.body.contact_role.at(-1)).toMatchObject({ term: 'tester' });
    } finally {
      await t.onPool((db) => db.exec({ text: "DELETE FROM contact_roles WHERE term = 'tester'" }));
    }
  });
});

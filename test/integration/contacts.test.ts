import request from 'supertest';
import { bearer } from '../support/api-keys';
import { useApiFixture } from '../support/api-fixture';
import { errorPaths, expectProblem } from '../support/problem-assertions';
import { countRows as countTableRows, insertWell } from '../support/table-rows';

jest.setTimeout(60_000);

const t = useApiFixture({ label: 'contacts', keys: ['write', 'read'] });

const api = () => request(t.app);
const auth = () => bearer(t.keys.write);

const createContact = async (body: Record<string, unknown>) => {
  const res = await api()
    .post('/api/v1/contacts')
    .set(...auth())
    .send(body);
  expect(res.status).toBe(201);
  return res.body as { id: number } & Record<string, unknown>;
};

let wellSeq = 0;
const createWell = () => {
  const n = ++wellSeq;
  return t.database.query((db) =>
    insertWell(db, { site_code: `CT-${n}`, name: `Contact test well ${n}`, latitude: 37.5, longitude: -100.5 }),
  );
};

const countRows = (table: 'contacts' | 'well_contacts', where = 'TRUE', values: unknown[] = []) =>
  t.database.query((db) => countTableRows(db, table, where, values));

describe('POST /api/v1/contacts', () => {
  it('creates a contact, normalising emails and phones, and answers 201 with Location', async () => {
    const res = await api()
      .post('/api/v1/contacts')
      .set(...auth())
      .send({
        name: '  Dana Ortiz ',
        organization: 'Kansas Geological Survey',
        emails: [' Dana@KGS.KU.EDU ', 'dana@kgs.ku.edu', 'Dana@kgs.ku.edu'],
        phones: ['+1 (785) 864-3965', '1.785.864.3965', '785 555 0199'],
        notes: 'Prefers email',
      })
      .expect(201);
    expect(res.headers.location).toBe(`/api/v1/contacts/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.any(Number),
      name: 'Dana Ortiz',
      organization: 'Kansas Geological Survey',
      emails: ['Dana@kgs.ku.edu', 'dana@kgs.ku.edu'],
      phones: ['+17858643965', '+7855550199'],
      notes: 'Prefers email',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const got = await api()
      .get(res.headers.location as string)
      .expect(200);
    expect(got.body).toEqual(res.body);
    const row = await t.database.query((db) =>
      db.one<{ emails: string[]; phones: string[] }>({
        text: 'SELECT emails, phones FROM contacts WHERE id = $1',
        values: [res.body.id],
      }),
    );
    expect(row).toEqual({ emails: ['Dana@kgs.ku.edu', 'dana@kgs.ku.edu'], phones: ['+17858643965', '+7855550199'] });
  });

  it('defaults the optional fields', async () => {
    const body = await createContact({ name: 'Minimal' });
    expect(body).toMatchObject({ name: 'Minimal', organization: null, emails: [], phones: [], notes: null });
  });

  it.each([
    ['an invalid email', { name: 'A', emails: ['ok@example.com', 'not-an-email'] }, ['body.emails.1']],
    ['an email with two @', { name: 'A', emails: ['a@b.co', 'two@@example.com', 'c@d.co'] }, ['body.emails.1']],
    ['a phone with too few digits', { name: 'A', phones: ['555-0100-22', '12345'] }, ['body.phones.1']],
    ['a phone with letters', { name: 'A', phones: ['call me'] }, ['body.phones.0']],
    ['a phone with 16 digits', { name: 'A', phones: ['1234567890123456'] }, ['body.phones.0']],
    [
      '11 distinct emails',
      { name: 'A', emails: Array.from({ length: 11 }, (_, i) => `p${i}@example.com`) },
      ['body.emails'],
    ],
    ['11 distinct phones', { name: 'A', phones: Array.from({ length: 11 }, (_, i) => `555010${i}0`) }, ['body.phones']],
    ['an empty name', { name: '' }, ['body.name']],
    ['a 201-character name', { name: 'x'.repeat(201) }, ['body.name']],
    ['an empty organization', { name: 'A', organization: '' }, ['body.organization']],
    ['2001-character notes', { name: 'A', notes: 'n'.repeat(2001) }, ['body.notes']],
    ['no name', { organization: 'No name' }, ['body.name']],
    ['an unknown field', { name: 'A', role: 'owner' }, ['body.role']],
  ])('answers 400 for %s, naming the field, and writes nothing', async (_label, body, paths) => {
    const before = await countRows('contacts');
    const res = await api()
      .post('/api/v1/contacts')
      .set(...auth())
      .send(body);
    expectProblem(res, 400, 'validation-failed');
    expect(errorPaths(res)).toEqual(paths);
    expect(await countRows('contacts')).toBe(before);
  });

  it('answers 401 without a key and 403 with a read key', async () => {
    const before = await countRows('contacts');
    const anonymous = await api().post('/api/v1/contacts').send({ name: 'Nobody' });
    expectProblem(anonymous, 401, 'unauthorized');
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    const reader = await api()
      .post('/api/v1/contacts')
      .set(...bearer(t.keys.read))
      .send({ name: 'Nobody' });
    expectProblem(reader, 403, 'forbidden');
    expect(await countRows('contacts')).toBe(before);
  });
});

describe('GET /api/v1/contacts/:id', () => {
  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expectProblem(await api().get('/api/v1/contacts/999999999'), 404, 'not-found');
    const bad = await api().get('/api/v1/contacts/abc');
    expectProblem(bad, 400, 'validation-failed');
    expect(errorPaths(bad)).toEqual(['params.id']);
  });
});

describe('PATCH /api/v1/contacts/:id', () => {
  it('changes only the fields sent, clears with null, and moves updated_at', async () => {
    const created = await createContact({ name: 'Pat', organization: 'Old Org', emails: ['pat@old.org'], notes: 'n' });
    const res = await api()
      .patch(`/api/v1/contacts/${created.id}`)
      .set(...auth())
      .send({ organization: null, phones: ['(316) 555-0142'] })
      .expect(200);
    expect(res.body).toEqual({
      ...created,
      organization: null,
      phones: ['+3165550142'],
      updated_at: expect.any(String),
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at as string));
    const got = await api().get(`/api/v1/contacts/${created.id}`).expect(200);
    expect(got.body).toEqual(res.body);
  });

  it('rejects an empty body, unknown fields and invalid elements with 400, changing nothing', async () => {
    const created = await createContact({ name: 'Unchanged', emails: ['u@example.com'] });
    const cases: [unknown, string[]][] = [
      [{}, ['body']],
      [{ nickname: 'U' }, ['body.nickname']],
      [{ name: null }, ['body.name']],
      [{ emails: ['u@example.com', 'bad'] }, ['body.emails.1']],
      [{ emails: null }, ['body.emails']],
    ];
    for (const [body, paths] of cases) {
      const res = await api()
        .patch(`/api/v1/contacts/${created.id}`)
        .set(...auth())
        .send(body as object);
      expectProblem(res, 400, 'validation-failed');
      expect(errorPaths(res)).toEqual(paths);
    }
    const got = await api().get(`/api/v1/contacts/${created.id}`).expect(200);
    expect(got.body).toEqual(created);
  });

  it('answers 404 for an unknown contact, 401 without a key and 403 with a read key', async () => {
    const missing = await api()
      .patch('/api/v1/contacts/999999999')
      .set(...auth())
      .send({ name: 'X' });
    expectProblem(missing, 404, 'not-found');
    const created = await createContact({ name: 'Guarded' });
    expectProblem(await api().patch(`/api/v1/contacts/${created.id}`).send({ name: 'X' }), 401, 'unauthorized');
    const reader = await api()
      .patch(`/api/v1/contacts/${created.id}`)
      .set(...bearer(t.keys.read))
      .send({ name: 'X' });
    expectProblem(reader, 403, 'forbidden');
    expect((await api().get(`/api/v1/contacts/${created.id}`)).body.name).toBe('Guarded');
  });
});

describe('DELETE /api/v1/contacts/:id', () => {
  it('deletes the contact with its links, then answers 404', async () => {
    const contact = await createContact({ name: 'Leaving' });
    const wellId = await createWell();
    await api()
      .put(`/api/v1/wells/${wellId}/contacts/${contact.id}`)
      .set(...auth())
      .send({ role: 'owner' })
      .expect(201);
    expect(await countRows('well_contacts', 'contact_id = $1', [contact.id])).toBe(1);

    expectProblem(await api().delete(`/api/v1/contacts/${contact.id}`), 401, 'unauthorized');
    expectProblem(
      await api()
        .delete(`/api/v1/contacts/${contact.id}`)
        .set(...bearer(t.keys.read)),
      403,
      'forbidden',
    );
    expect(await countRows('contacts', 'id = $1', [contact.id])).toBe(1);

    await api()
      .delete(`/api/v1/contacts/${contact.id}`)
      .set(...auth())
      .expect(204);
    expect(await countRows('contacts', 'id = $1', [contact.id])).toBe(0);
    expect(await countRows('well_contacts', 'contact_id = $1', [contact.id])).toBe(0);
    const wellContacts = await api().get(`/api/v1/wells/${wellId}/contacts`).expect(200);
    expect(wellContacts.body.items).toEqual([]);
    expectProblem(
      await api()
        .delete(`/api/v1/contacts/${contact.id}`)
        .set(...auth()),
      404,
      'not-found',
    );
  });
});

describe('GET /api/v1/contacts (keyset pages)', () => {
  it('never skips or repeats a contact while others are inserted between pages', async () => {
    for (let i = 0; i < 7; i += 1) await createContact({ name: `Paged ${i}` });
    const existing = await t.database.query((db) =>
      db.many<{ id: string }>({ text: 'SELECT id FROM contacts ORDER BY id' }).then((r) => r.map((x) => Number(x.id))),
    );
    const seen: number[] = [];
    const inserted: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await api()
        .get('/api/v1/contacts')
        .query({ limit: 3, ...(cursor !== null && { cursor }) })
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...(res.body.items as { id: number }[]).map((c) => c.id));
      cursor = res.body.next_cursor as string | null;
      pages += 1;
      // A new row between pages lands after every id already handed out.
      if (pages <= 3) inserted.push((await createContact({ name: `Inserted ${pages}` })).id);
    } while (cursor !== null && pages < 50);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    for (const id of existing) expect(seen).toContain(id);
    for (const id of inserted) expect(seen).toContain(id);
    expect(pages).toBeGreaterThan(3);
  });

  it('answers 400 for a tampered cursor or a bad limit', async () => {
    const tampered = await api().get('/api/v1/contacts').query({ cursor: 'not*a*cursor' });
    expectProblem(tampered, 400, 'validation-failed');
    expect(errorPaths(tampered)).toEqual(['query.cursor']);
    const forged = Buffer.from(JSON.stringify({ after_id: -1 })).toString('base64url');
    expectProblem(await api().get('/api/v1/contacts').query({ cursor: forged }), 400, 'validation-failed');
    const limit = await api().get('/api/v1/contacts').query({ limit: 0 });
    expectProblem(limit, 400, 'validation-failed');
    expect(errorPaths(limit)).toEqual(['query.limit']);
  });
});

describe('well–contact links', () => {
  it('creates (201), updates (200) and lists a link from both ends', async () => {
    const wellId = await createWell();
    const ann = await createContact({ name: 'Ann', organization: 'Ditch Co' });
    const bob = await createContact({ name: 'Bob' });

    const created = await api()
      .put(`/api/v1/wells/${wellId}/contacts/${bob.id}`)
      .set(...auth())
      .send({ role: 'Operator' })
      .expect(201);
    expect(created.body).toEqual({
      well_id: wellId,
      contact_id: bob.id,
      role: 'operator',
      created_at: expect.any(String),
      contact: bob,
    });
    await api()
      .put(`/api/v1/wells/${wellId}/contacts/${ann.id}`)
      .set(...auth())
      .send({ role: 'owner' })
      .expect(201);

    const changed = await api()
      .put(`/api/v1/wells/${wellId}/contacts/${bob.id}`)
      .set(...auth())
      .send({ role: 'observer' })
      .expect(200);
    expect(changed.body).toEqual({ ...created.body, role: 'observer' });
    const unchanged = await api()
      .put(`/api/v1/wells/${wellId}/contacts/${bob.id}`)
      .set(...auth())
      .send({ role: 'observer' })
      .expect(200);
    expect(unchanged.body).toEqual(changed.body);
    expect(await countRows('well_contacts', 'well_id = $1', [wellId])).toBe(2);

    const ofWell = await api().get(`/api/v1/wells/${wellId}/contacts`).expect(200);
    const [first, second] = [ann, bob].sort((a, b) => a.id - b.id);
    expect(ofWell.body.items.map((i: { contact: { id: number } }) => i.contact.id)).toEqual([first?.id, second?.id]);
    expect(ofWell.body.items).toContainEqual({ ...changed.body });
    expect(ofWell.body.items).toContainEqual(
      expect.objectContaining({ well_id: wellId, contact_id: ann.id, role: 'owner', contact: ann }),
    );

    const ofBob = await api().get(`/api/v1/contacts/${bob.id}/wells`).expect(200);
    expect(ofBob.body.items).toEqual([
      {
        well_id: wellId,
        contact_id: bob.id,
        role: 'observer',
        created_at: created.body.created_at,
        well: expect.objectContaining({ id: wellId, site_code: expect.stringMatching(/^CT-/) }),
      },
    ]);
  });

  it('lists a contact’s wells in well id order', async () => {
    const contact = await createContact({ name: 'Many wells' });
    const wells = [await createWell(), await createWell(), await createWell()];
    for (const id of [...wells].reverse()) {
      await api()
        .put(`/api/v1/wells/${id}/contacts/${contact.id}`)
        .set(...auth())
        .send({ role: 'driller' })
        .expect(201);
    }
    const res = await api().get(`/api/v1/contacts/${contact.id}/wells`).expect(200);
    expect(res.body.items.map((i: { well: { id: number } }) => i.well.id)).toEqual(wells);
  });

  it('answers 422 for an unknown role, listing the allowed ones, and 400 for a missing one', async () => {
    const wellId = await createWell();
    const contact = await createContact({ name: 'Role test' });
    const res = await api()
      .put(`/api/v1/wells/${wellId}/contacts/${contact.id}`)
      .set(...auth())
      .send({ role: 'landlord' });
    expectProblem(res, 422, 'unknown-term');
    expect(res.body.errors).toEqual([
      { path: 'body.role', message: expect.stringContaining('owner, operator, observer, driller, agency') },
    ]);
    const missing = await api()
      .put(`/api/v1/wells/${wellId}/contacts/${contact.id}`)
      .set(...auth())
      .send({});
    expectProblem(missing, 400, 'validation-failed');
    expect(errorPaths(missing)).toEqual(['body.role']);
    expect(await countRows('well_contacts', 'well_id = $1', [wellId])).toBe(0);
  });

  it('answers 404 naming the missing well or contact, and writes nothing', async () => {
    const wellId = await createWell();
    const contact = await createContact({ name: 'Lonely' });
    const noWell = await api()
      .put(`/api/v1/wells/999999999/contacts/${contact.id}`)
      .set(...auth())
      .send({ role: 'owner' });
    expectProblem(noWell, 404, 'not-found');
    expect(noWell.body.detail).toMatch(/^well 999999999\b/);
    const noContact = await api()
      .put(`/api/v1/wells/${wellId}/contacts/999999999`)
      .set(...auth())
      .send({ role: 'owner' });
    expectProblem(noContact, 404, 'not-found');
    expect(noContact.body.detail).toMatch(/^contact 999999999\b/);
    expect(await countRows('well_contacts', 'well_id = $1 OR contact_id = $2', [wellId, contact.id])).toBe(0);

    expectProblem(await api().get('/api/v1/wells/999999999/contacts'), 404, 'not-found');
    expectProblem(await api().get('/api/v1/contacts/999999999/wells'), 404, 'not-found');
    const empty = await api().get(`/api/v1/contacts/${contact.id}/wells`).expect(200);
    expect(empty.body).toEqual({ items: [] });
  });

  it('needs a write key to link or unlink', async () => {
    const wellId = await createWell();
    const contact = await createContact({ name: 'Auth link' });
    const path = `/api/v1/wells/${wellId}/contacts/${contact.id}`;
    expectProblem(await api().put(path).send({ role: 'owner' }), 401, 'unauthorized');
    expectProblem(
      await api()
        .put(path)
        .set(...bearer(t.keys.read))
        .send({ role: 'owner' }),
      403,
      'forbidden',
    );
    await api()
      .put(path)
      .set(...auth())
      .send({ role: 'owner' })
      .expect(201);
    expectProblem(await api().delete(path), 401, 'unauthorized');
    expectProblem(
      await api()
        .delete(path)
        .set(...bearer(t.keys.read)),
      403,
      'forbidden',
    );
    expect(await countRows('well_contacts', 'well_id = $1', [wellId])).toBe(1);
  });

  it('unlinks (204), then answers 404 for the link that is gone', async () => {
    const wellId = await createWell();
    const contact = await createContact({ name: 'Unlink me' });
    const path = `/api/v1/wells/${wellId}/contacts/${contact.id}`;
    await api()
      .put(path)
      .set(...auth())
      .send({ role: 'agency' })
      .expect(201);
    await api()
      .delete(path)
      .set(...auth())
      .expect(204);
    expect(await countRows('well_contacts', 'well_id = $1', [wellId])).toBe(0);
    expect(await countRows('contacts', 'id = $1', [contact.id])).toBe(1);
    const again = await api()
      .delete(path)
      .set(...auth());
    expectProblem(again, 404, 'not-found');
    expect(again.body.detail).toContain(`well ${wellId}`);
    expect(again.body.detail).toContain(`contact ${contact.id}`);
  });

  it('links disappear when the well is deleted', async () => {
    const wellId = await createWell();
    const contact = await createContact({ name: 'Outlives the well' });
    await api()
      .put(`/api/v1/wells/${wellId}/contacts/${contact.id}`)
      .set(...auth())
      .send({ role: 'owner' })
      .expect(201);
    await api()
      .delete(`/api/v1/wells/${wellId}`)
      .set(...auth())
      .expect(204);
    expect(await countRows('well_contacts', 'contact_id = $1', [contact.id])).toBe(0);
    const res = await api().get(`/api/v1/contacts/${contact.id}/wells`).expect(200);
    expect(res.body.items).toEqual([]);
  });
});

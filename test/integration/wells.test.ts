import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

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

describe('POST /api/v1/wells', () => {
  it('creates a well and answers 201 with a Location header', async () => {
    const res = await request(t.app).post('/api/v1/wells').send(validWell('KS-T-001')).expect(201);
    expect(res.headers.location).toBe(`/api/v1/wells/${res.body.id}`);
    expect(res.body).toMatchObject({ ...validWell('KS-T-001'), id: expect.any(Number) });
    const got = await request(t.app)
      .get(res.headers.location as string)
      .expect(200);
    expect(got.body).toEqual(res.body);
  });
});

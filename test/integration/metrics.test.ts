import request from 'supertest';
import { useApiFixture } from '../support/api-fixture';
import { expectProblem } from '../support/problem-assertions';
import { parsePrometheus, samplesOf, sumOf } from '../support/prometheus-text';
import { insertWell } from '../support/table-rows';

jest.setTimeout(60_000);

describe('GET /metrics on the API port', () => {
  const t = useApiFixture({ label: 'metrics', keys: ['write', 'admin'], poolSize: 1, maxQueue: 0 });

  it('needs an admin key', async () => {
    expectProblem(await request(t.app).get('/metrics'), 401, 'unauthorized');
    expectProblem(await request(t.app).get('/metrics').set('Authorization', `Bearer ${t.keys.write}`), 403);
  });

  it('counts requests by route template and status, pool state, acquire waits, statements and sheds', async () => {
    const id = await t.onPool((db) =>
      insertWell(db, { site_code: 'MET-1', name: 'Metrics well', latitude: 38, longitude: -99 }),
    );
    for (let i = 0; i < 3; i++) await request(t.app).get(`/api/v1/wells/${id}`).expect(200);
    await request(t.app).get('/api/v1/wells/999999').expect(404);
    await request(t.app).get('/no/such/route').expect(404);

    // maxQueue 0 and one connection: a second request while a statement holds it is shed.
    const holding = t.db.exec({ text: 'SELECT pg_sleep(0.5)' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expectProblem(await request(t.app).get(`/api/v1/wells/${id}`), 503, 'queue-full');
    await holding;

    const res = await request(t.app).get('/metrics').set('Authorization', `Bearer ${t.keys.admin}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers['cache-control']).toBe('no-store');
    const samples = parsePrometheus(res.text);
    const worker = { worker: 'test-w0' };

    const byRoute = (route: string, status: string) =>
      sumOf(samples, 'aquifer_http_request_duration_seconds_count', { ...worker, route, status });
    expect(byRoute('GET /api/v1/wells/:id', '200')).toBe(3);
    expect(byRoute('GET /api/v1/wells/:id', '404')).toBe(1);
    expect(byRoute('GET /api/v1/wells/:id', '503')).toBe(1);
    expect(byRoute('unmatched', '404')).toBe(1);
    // No raw path ever becomes a label.
    expect(samples.some((s) => /\/wells\/\d/.test(s.labels.route ?? ''))).toBe(false);

    expect(sumOf(samples, 'aquifer_db_pool_max', worker)).toBe(1);
    expect(sumOf(samples, 'aquifer_db_pool_waiting', worker)).toBe(0);
    expect(sumOf(samples, 'aquifer_db_shed_total', worker)).toBe(1);
    expect(sumOf(samples, 'aquifer_db_acquire_timeouts_total', worker)).toBe(0);
    expect(sumOf(samples, 'aquifer_db_acquire_wait_seconds_count', worker)).toBeGreaterThanOrEqual(5);
    expect(
      sumOf(samples, 'aquifer_db_statement_duration_seconds_count', {
        ...worker,
        route: 'GET /api/v1/wells/:id',
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(4);
    // The 0.5 s pg_sleep ran outside any request: counted under route "none", above the 0.25 s bucket.
    const none = { ...worker, route: 'none', outcome: 'ok' };
    const bucket = (le: string) => sumOf(samples, 'aquifer_db_statement_duration_seconds_bucket', { ...none, le });
    expect(sumOf(samples, 'aquifer_db_statement_duration_seconds_count', none)).toBe(bucket('1'));
    expect(bucket('1') - bucket('0.25')).toBeGreaterThanOrEqual(1);
    expect(samplesOf(samples, 'process_resident_memory_bytes', worker)).toHaveLength(1);
  });
});

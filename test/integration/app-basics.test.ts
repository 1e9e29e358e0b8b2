import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/app';
import { bearer } from '../support/api-keys';
import { useApiFixture } from '../support/api-fixture';
import { logLinesFor, type LogLine } from '../support/log-capture';
import { expectProblem } from '../support/problem-assertions';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Nothing listens on port 1, so every connection attempt is refused at once. */
const DEAD_DATABASE_URL = 'postgresql://nobody:x@127.0.0.1:1/none';

// The machine is shared and noisy; this bound only stops a hung test.
jest.setTimeout(60_000);

const t = useApiFixture({ label: 'app_basics', keys: ['write'] });

/** The access-log lines written for one request, found by its id. */
const linesFor = (app: Pick<TestApp, 'logs'>, requestId: string) => logLinesFor(app.logs as LogLine[], requestId);

describe('X-Request-Id', () => {
  it.each(['abc-123', 'trace.01:span_02', 'a'.repeat(128)])('echoes a safe client id %p', async (id) => {
    const res = await request(t.app).get('/api/v1/wells?limit=1').set('X-Request-Id', id).expect(200);
    expect(res.headers['x-request-id']).toBe(id);
  });

  it('echoes a safe client id in problem bodies too', async () => {
    const res = await request(t.app).get('/api/v1/wells/abc').set('X-Request-Id', 'client-id-7');
    expectProblem(res, 400);
    expect(res.body.request_id).toBe('client-id-7');
  });

  it.each([
    ['contains spaces', 'has spaces in it'],
    ['is 300 characters', 'a'.repeat(300)],
    ['is 129 characters', 'a'.repeat(129)],
    ['contains a quote', 'abc"def'],
    ['contains a slash', '../../etc'],
    ['is empty', ''],
  ])('replaces a client id that %s with a fresh UUID', async (_label, id) => {
    const res = await request(t.app).get('/api/v1/wells?limit=1').set('X-Request-Id', id).expect(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.headers['x-request-id']).not.toBe(id);
  });

  it('gives every request its own id when the client sends none', async () => {
    const [a, b] = await Promise.all([request(t.app).get('/livez'), request(t.app).get('/livez')]);
    expect(a.headers['x-request-id']).toMatch(UUID);
    expect(b.headers['x-request-id']).toMatch(UUID);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });
});

describe('routing and headers', () => {
  it.each([
    ['GET', '/nope'],
    ['GET', '/api/v1/nope'],
    ['DELETE', '/api/v1/wells'],
    ['GET', '/api/v2/wells'],
  ])('answers 404 problem for %s %s', async (method, path) => {
    const res = await request(t.app)[method.toLowerCase() as 'get' | 'delete'](path);
    expectProblem(res, 404, 'route-not-found');
    expect(res.body.instance).toBe(path);
  });

  it('does not echo a query string or an over-long path in a 404', async () => {
    const longPath = `/x${'y'.repeat(5000)}`;
    const res = await request(t.app).get(`${longPath}?token=secret-in-query`);
    expectProblem(res, 404, 'route-not-found');
    expect(JSON.stringify(res.body)).not.toContain('secret-in-query');
    expect(res.body.detail.length).toBeLessThan(300);
  });

  it('sends helmet headers and no X-Powered-By, on success and on error', async () => {
    for (const path of ['/livez', '/api/v1/wells?limit=1', '/nope']) {
      const res = await request(t.app).get(path);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toEqual(expect.any(String));
      expect(res.headers['strict-transport-security']).toEqual(expect.any(String));
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('marks problem responses as not cacheable', async () => {
    const res = await request(t.app).get('/nope');
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('/livez', () => {
  it('is 200 without touching the database, even when the database is unreachable', async () => {
    const dead = buildTestApp(DEAD_DATABASE_URL, { poolSize: 1, acquireTimeoutMs: 500 });
    try {
      const res = await request(dead.app).get('/livez').expect(200);
      expect(res.body).toEqual({ status: 'ok' });
      expect(res.headers['cache-control']).toBe('no-store');
      // It never even tried: the pool has not opened a connection.
      expect(dead.db.stats()).toMatchObject({ total: 0, waiting: 0 });
      // Whereas readiness, which does check, fails on the same app.
      expectProblem(await request(dead.app).get('/readyz'), 503, 'database-unavailable');
    } finally {
      await dead.close();
    }
  });
});

describe('access logs', () => {
  it('never contain the Authorization or Cookie values', async () => {
    const secrets = ['secret-token-123', 'sid=abc', 'proxy-secret-9'];
    for (const path of ['/api/v1/wells?limit=1', '/api/v1/wells/abc', '/nope']) {
      await request(t.app)
        .get(path)
        .set('Authorization', 'Bearer secret-token-123')
        .set('Cookie', 'sid=abc')
        .set('Proxy-Authorization', 'Basic proxy-secret-9')
        .set('X-Request-Id', `secrets-${path.length}`);
    }
    // The requests were logged at all, so there was something to leak into.
    for (const n of [21, 17, 5]) expect(await linesFor(t, `secrets-${n}`)).toHaveLength(1);
    for (const line of t.logs) {
      const text = JSON.stringify(line);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });

  it('keep the cause of a body that does not parse, but not the body', async () => {
    const marker = 'body-marker-7f3a';
    for (const [id, body] of [
      ['body-json', `{"name": "${marker}",`],
      ['body-utf8', Buffer.from([...Buffer.from(`{"name": "${marker}`), 0xc3, 0x28, ...Buffer.from('"}')])],
    ] as const) {
      await request(t.app)
        .post('/api/v1/wells')
        .set(...bearer(t.keys.write))
        .set('Content-Type', 'application/json')
        .set('X-Request-Id', id)
        // As sent: superagent would turn a Buffer into JSON of its bytes.
        .serialize((raw: string | Buffer) => raw as string)
        .send(body)
        .expect(400);
      const [line, ...more] = await linesFor(t, id);
      expect(more).toEqual([]);
      expect(line).toHaveProperty('err.status', 400);
      expect(line).toHaveProperty('err.message');
      // A client's body can be as large as the limit, and is theirs: the log keeps neither.
      expect(JSON.stringify(line)).not.toContain(marker);
      expect(JSON.stringify(line)).not.toContain('"Buffer"');
    }
  });

  it('logs a 2xx at info (30) and a 4xx at warn (40)', async () => {
    await request(t.app).get('/api/v1/wells?limit=1').set('X-Request-Id', 'level-200').expect(200);
    await request(t.app).get('/api/v1/wells/0').set('X-Request-Id', 'level-400').expect(400);
    await request(t.app).get('/api/v1/wells/123456789').set('X-Request-Id', 'level-404').expect(404);
    await request(t.app)
      .post('/api/v1/wells')
      .set(...bearer(t.keys.write))
      .set('Content-Type', 'text/plain')
      .send('x')
      .set('X-Request-Id', 'level-415')
      .expect(415);
    await request(t.app).post('/api/v1/wells').send({}).set('X-Request-Id', 'level-401').expect(401);
    expect((await linesFor(t, 'level-200')).map((l) => l.level)).toEqual([30]);
    for (const id of ['level-400', 'level-404', 'level-415', 'level-401']) {
      expect({ id, levels: (await linesFor(t, id)).map((l) => l.level) }).toEqual({ id, levels: [40] });
    }
  });

  it('logs a 5xx at error (50) with the cause', async () => {
    const dead = buildTestApp(DEAD_DATABASE_URL, { poolSize: 1, acquireTimeoutMs: 500 });
    try {
      const res = await request(dead.app).get('/api/v1/wells/1').set('X-Request-Id', 'level-5xx');
      expectProblem(res, 503, 'database-unavailable');
      expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      const lines = await linesFor(dead, 'level-5xx');
      expect(lines.map((l) => l.level)).toEqual([50]);
      expect(lines[0]).toHaveProperty('err');
      // The cause is in the log, never in the body.
      expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at .*:\d+:\d+/);
    } finally {
      await dead.close();
    }
  });

  it('does not log /livez or /readyz, with or without a query string', async () => {
    const before = t.logs.length;
    await request(t.app).get('/livez').expect(200);
    await request(t.app).get('/readyz').expect(200);
    await request(t.app).get('/livez?probe=1').expect(200);
    await request(t.app).get('/readyz?probe=1').expect(200);
    await request(t.app).get('/api/v1/wells?limit=1').set('X-Request-Id', 'after-probes').expect(200);
    expect(await linesFor(t, 'after-probes')).toHaveLength(1);
    const added = t.logs.slice(before) as LogLine[];
    expect(added.map((l) => l.req?.url)).toEqual(['/api/v1/wells?limit=1']);
  });

  it('carries role "w0" on every line', async () => {
    await request(t.app).get('/api/v1/wells/1').set('X-Request-Id', 'role-check').expect(404);
    expect(await linesFor(t, 'role-check')).toHaveLength(1);
    expect(t.logs.length).toBeGreaterThan(0);
    for (const line of t.logs) expect(line).toMatchObject({ role: 'w0', pid: process.pid });
  });
});

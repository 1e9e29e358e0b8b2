import http from 'node:http';
import request from 'supertest';
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS } from '../../server/lib/cors';
import { securityHeaders } from '../../server/lib/security-headers';
import { bearer, issueKey } from '../support/api-keys';
import { useApiFixture } from '../support/api-fixture';
import { buildTestApp } from '../support/app';
import { reportFigures } from '../support/report';
import { useServerFixture } from '../support/server-fixture';

/**
 * helmet's headers on every kind of answer (success, client errors, 404, 413,
 * 503, preflight), X-Powered-By on none; CORS closed by default, in the app and
 * in the built server, and working when CORS_ORIGINS is set: preflight and
 * actual requests from a listed origin, nothing for any other.
 */
jest.setTimeout(120_000);

const APP_ORIGIN = 'https://app.example.org';
const DEV_ORIGIN = 'http://localhost:5173';
const OTHER_ORIGIN = 'https://evil.example.net';

const t = useApiFixture({ label: 'headers_cors', keys: ['read', 'write'], bodyLimitBytes: 1024 });

/** What helmet's defaults set, lower-cased as Node reports response headers. */
const HELMET = Object.fromEntries(securityHeaders().map(([name, value]) => [name.toLowerCase(), value]));
const corsHeadersOf = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-')));
const figures: Record<string, unknown> = { helmet_headers: Object.keys(HELMET).length };
afterAll(() => reportFigures('headers-cors', figures));

describe('security headers', () => {
  it('are helmet’s exact set on every kind of answer, and X-Powered-By is on none', async () => {
    const dead = buildTestApp('postgresql://nobody:x@127.0.0.1:1/none', { poolSize: 1, acquireTimeoutMs: 300 });
    try {
      const contact = await request(t.app)
        .post('/api/v1/contacts')
        .set(...bearer(t.keys.write))
        .send({ name: 'Header check' });
      const answers: [string, number, request.Test][] = [
        ['list', 200, request(t.app).get('/api/v1/wells')],
        [
          'create',
          201,
          request(t.app)
            .post('/api/v1/contacts')
            .set(...bearer(t.keys.write))
            .send({ name: 'x' }),
        ],
        [
          'delete',
          204,
          request(t.app)
            .delete(`/api/v1/contacts/${(contact.body as { id: number }).id}`)
            .set(...bearer(t.keys.write)),
        ],
        ['head', 200, request(t.app).head('/api/v1/lexicon')],
        ['docs page', 200, request(t.app).get('/docs')],
        ['bad id', 400, request(t.app).get('/api/v1/wells/abc')],
        ['no key', 401, request(t.app).post('/api/v1/contacts').send({ name: 'x' })],
        [
          'read key on a write',
          403,
          request(t.app)
            .post('/api/v1/contacts')
            .set(...bearer(t.keys.read))
            .send({ name: 'x' }),
        ],
        ['unknown route', 404, request(t.app).get('/nope')],
        ['unknown well', 404, request(t.app).get('/api/v1/wells/999999999')],
        [
          'too large',
          413,
          request(t.app)
            .post('/api/v1/contacts')
            .set(...bearer(t.keys.write))
            .send({ name: 'x'.repeat(2_000) }),
        ],
        [
          'wrong type',
          415,
          request(t.app)
            .post('/api/v1/contacts')
            .set(...bearer(t.keys.write))
            .type('text/plain')
            .send('x'),
        ],
        ['unknown term', 422, request(t.app).get('/api/v1/wells?status=nope')],
        ['database down', 503, request(dead.app).get('/api/v1/wells')],
        ['options', 200, request(t.app).options('/api/v1/wells')],
      ];
      const seen: Record<string, number> = {};
      for (const [what, status, req] of answers) {
        const res = await req.set('Origin', OTHER_ORIGIN);
        seen[what] = res.status;
        expect({ what, status: res.status }).toEqual({ what, status });
        expect({ what, helmet: Object.fromEntries(Object.keys(HELMET).map((k) => [k, res.headers[k]])) }).toEqual({
          what,
          helmet: HELMET,
        });
        expect({ what, poweredBy: res.headers['x-powered-by'] }).toEqual({ what, poweredBy: undefined });
        // CORS is closed here (no origins configured): not one CORS header, whatever the answer.
        expect({ what, cors: corsHeadersOf(res.headers) }).toEqual({ what, cors: {} });
      }
      figures.answers_checked = seen;
    } finally {
      await dead.close();
    }
  });
});

describe('CORS, closed by default', () => {
  it('gives a preflight no allow header at all, from any origin', async () => {
    for (const origin of [APP_ORIGIN, OTHER_ORIGIN, 'null']) {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const res = await request(t.app)
          .options('/api/v1/wells')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', method)
          .set('Access-Control-Request-Headers', 'authorization, content-type');
        expect({ origin, method, cors: corsHeadersOf(res.headers) }).toEqual({ origin, method, cors: {} });
      }
    }
  });
});

describe('the built server', () => {
  const f = useServerFixture('headers_cors_spawned', 5);

  /** One request on a fresh connection; its status and headers. */
  const send = (port: number, method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 15_000 });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 15 s`)));
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const preflight = (port: number, origin: string, method: string) =>
    send(port, 'OPTIONS', '/api/v1/contacts', {
      Origin: origin,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'authorization, content-type, x-request-id',
    });

  it('is closed without CORS_ORIGINS: no CORS header on a preflight or on an actual request', async () => {
    const { port } = await f.start({ WEB_CONCURRENCY: '1', DB_CONNECTION_BUDGET: '2' });
    for (const origin of [APP_ORIGIN, OTHER_ORIGIN]) {
      const pre = await preflight(port, origin, 'POST');
      expect({ origin, cors: corsHeadersOf(pre.headers) }).toEqual({ origin, cors: {} });
      const actual = await send(port, 'GET', '/api/v1/contacts', { Origin: origin });
      expect(actual.status).toBe(200);
      expect({ origin, cors: corsHeadersOf(actual.headers), vary: actual.headers.vary }).toEqual({
        origin,
        cors: {},
        vary: undefined,
      });
    }
  });

  it('with CORS_ORIGINS, answers a listed origin’s preflight and requests, and gives any other origin nothing', async () => {
    const { port } = await f.start({
      WEB_CONCURRENCY: '1',
      DB_CONNECTION_BUDGET: '2',
      CORS_ORIGINS: `${APP_ORIGIN}, ${DEV_ORIGIN}`,
      CORS_MAX_AGE_S: '120',
    });
    const key = await issueKey(f.database, 'write');
    for (const origin of [APP_ORIGIN, DEV_ORIGIN]) {
      const pre = await preflight(port, origin, 'POST');
      expect({ origin, status: pre.status, cors: corsHeadersOf(pre.headers), vary: pre.headers.vary }).toEqual({
        origin,
        status: 204,
        cors: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
          'access-control-allow-headers': CORS_ALLOW_HEADERS,
          'access-control-max-age': '120',
        },
        vary: 'Origin',
      });
      expect(pre.headers).not.toHaveProperty('access-control-allow-credentials');
      // The preflight is still one of our answers: id and security headers.
      expect(pre.headers['x-request-id']).toEqual(expect.any(String));
      expect(pre.headers['x-content-type-options']).toBe('nosniff');

      const body = JSON.stringify({ name: `CORS ${origin}` });
      const created = await send(
        port,
        'POST',
        '/api/v1/contacts',
        {
          Origin: origin,
          Authorization: `Bearer ${key}`,
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(body)),
        },
        body,
      );
      expect(created.status).toBe(201);
      expect(corsHeadersOf(created.headers)).toEqual({
        'access-control-allow-origin': origin,
        'access-control-expose-headers': CORS_EXPOSE_HEADERS,
      });
      // What the exposed headers are for: a script reads these on answers like this one.
      expect(created.headers.location).toMatch(/^\/api\/v1\/contacts\/\d+$/);
      const refused = await send(port, 'POST', '/api/v1/contacts', { Origin: origin });
      expect(refused.status).toBe(401);
      expect(refused.headers['access-control-allow-origin']).toBe(origin);
    }
    for (const origin of [OTHER_ORIGIN, 'http://app.example.org', `${APP_ORIGIN}:8443`, 'null']) {
      for (const method of ['GET', 'POST']) {
        const pre = await preflight(port, origin, method);
        expect({ origin, method, cors: corsHeadersOf(pre.headers) }).toEqual({ origin, method, cors: {} });
      }
      const actual = await send(port, 'GET', '/api/v1/contacts', { Origin: origin });
      expect(actual.status).toBe(200);
      expect({ origin, cors: corsHeadersOf(actual.headers), vary: actual.headers.vary }).toEqual({
        origin,
        cors: {},
        vary: 'Origin',
      });
    }
    figures.cors_configured = { origins: [APP_ORIGIN, DEV_ORIGIN], max_age_s: 120 };
  });
});

import crypto from 'node:crypto';
import http from 'node:http';
import request from 'supertest';
import { generateApiKey, keyPrefix } from '../../server/auth/keys';
import { revokeKey } from '../../server/auth/queries';
import { useApiFixture } from '../support/api-fixture';
import { bearer, issueKey } from '../support/api-keys';
import { fetchOpenApiDocument, operations, requestExamples, type Document } from '../support/openapi-document';
import { reportFigures } from '../support/report';
import { seedLinkedRows, withIds, type SeededRows } from '../support/seed-rows';
import { useServerFixture } from '../support/server-fixture';
import { changedTables, tableFingerprint } from '../support/table-fingerprint';
import { waitFor } from '../support/wait-for';

/** A key with a real key's public prefix and someone else's secret: what a guesser would send. */
const forge = (key: string) => `${key.slice(0, 20)}${generateApiKey().key.slice(20)}`;

/**
 * Beyond test/integration/auth.test.ts (which proves 401/403 on POST /wells and
 * GET /wells): every operation the OpenAPI document marks as needing a key
 * refuses no key, a revoked key and a read key, and writes nothing; with
 * READS_REQUIRE_AUTH every read does; the secret comparison is
 * crypto.timingSafeEqual and its answer alone decides; and a spawned server
 * logging at trace never writes a key, whatever it is sent.
 */
jest.setTimeout(120_000);

const t = useApiFixture({
  label: 'auth_abuse',
  keys: ['read', 'write', 'admin'],
  acquireTimeoutMs: 15_000,
  statementTimeoutMs: 20_000,
});

let doc: Document;
let rows: SeededRows;
let revokedWrite: string;
let revokedAdmin: string;
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  doc = await fetchOpenApiDocument(t.app);
  rows = await t.onPool((db) => seedLinkedRows(db, 'KS-AUTH-SEED'));
  revokedWrite = await issueKey(t.database, 'write', 'revoked-write');
  revokedAdmin = await issueKey(t.database, 'admin', 'revoked-admin');
  await t.onPool(async (db) => {
    for (const key of [revokedWrite, revokedAdmin]) await revokeKey(db, keyPrefix(key) as string);
  });
});

afterAll(() => reportFigures('auth-abuse', figures));

type Security = Record<string, unknown>[] | undefined;
const needsKey = (s: Security) => s !== undefined && s.length > 0 && s.every((alt) => Object.keys(alt).length > 0);
const keyOptional = (s: Security) => s !== undefined && s.some((alt) => Object.keys(alt).length === 0) && s.length > 1;

/** Each operation as a request a client could send: real ids, required query parameters, the example body. */
function asRequest(app: Parameters<typeof request>[0], route: string, method: string, body: unknown, auth?: string) {
  const op = doc.paths[route]?.[method];
  const required = (op?.parameters ?? []).filter((p) => p.in === 'query' && p.required);
  const req = request(app)[method as 'post'](withIds(route, rows));
  req.query(Object.fromEntries(required.map((p) => [p.name, 'Seed'])));
  if (auth !== undefined) req.set('Authorization', auth);
  return body === undefined ? req : req.send(body as object);
}

// Before the next block, whose control requests delete the seeded rows.
describe('with READS_REQUIRE_AUTH', () => {
  it('every read refuses no key and serves a read key; the probes and the documents stay open', async () => {
    const closed = t.extraApp({ readsRequireAuth: true, poolSize: 2, acquireTimeoutMs: 15_000 });
    const reads = operations(doc).filter(([, , op]) => keyOptional(op.security as Security));
    const open = operations(doc).filter(([, , op]) => Array.isArray(op.security) && op.security.length === 0);
    figures.reads = reads.length;
    figures.open = open.map(([r]) => r);
    expect(reads.length).toBeGreaterThanOrEqual(10);
    for (const [route, method] of reads) {
      const anonymous = await asRequest(closed.app, route, method, undefined);
      expect({ route, status: anonymous.status }).toEqual({ route, status: 401 });
      const withKey = await asRequest(closed.app, route, method, undefined, `Bearer ${t.keys.read}`);
      expect({ route, status: withKey.status }).toEqual({ route, status: 200 });
    }
    for (const [route, method] of open) {
      const res = await asRequest(closed.app, route, method, undefined);
      expect({ route, status: res.status }).toEqual({ route, status: 200 });
    }
  });
});

describe('every operation that needs a key', () => {
  it('refuses no key, a revoked key, a forged key and a read key, and writes nothing', async () => {
    const guarded = operations(doc).filter(([, , op]) => needsKey(op.security as Security));
    figures.guarded_operations = guarded.length;
    expect(guarded.length).toBeGreaterThanOrEqual(12);
    const forged = forge(t.keys.write);
    const before = await t.onPool(tableFingerprint);
    let refused = 0;
    for (const [route, method, op] of guarded) {
      const body = requestExamples(op)[0];
      const cases: [string, string | undefined, number, string][] = [
        ['no key', undefined, 401, 'Bearer realm="aquifer"'],
        ['a revoked write key', `Bearer ${revokedWrite}`, 401, 'Bearer realm="aquifer", error="invalid_token"'],
        ['a revoked admin key', `Bearer ${revokedAdmin}`, 401, 'Bearer realm="aquifer", error="invalid_token"'],
        ['a forged secret', `Bearer ${forged}`, 401, 'Bearer realm="aquifer", error="invalid_token"'],
        ['a read key', `Bearer ${t.keys.read}`, 403, 'Bearer realm="aquifer", error="insufficient_scope"'],
      ];
      for (const [label, auth, status, challenge] of cases) {
        const res = await asRequest(t.app, route, method, body, auth);
        refused++;
        expect({ route, method, label, status: res.status, type: res.headers['content-type'] }).toEqual({
          route,
          method,
          label,
          status,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
        expect(res.headers['www-authenticate']).toMatch(
          new RegExp(`^${challenge.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
        );
      }
    }
    figures.refused = refused;
    expect(changedTables(before, await t.onPool(tableFingerprint))).toEqual([]);
    // The same requests with a key that may send them get past auth, so auth was what refused them.
    for (const [route, method, op] of guarded) {
      const res = await asRequest(t.app, route, method, requestExamples(op)[0], `Bearer ${t.keys.admin}`);
      const outcome = res.status === 401 || res.status === 403 ? `refused ${res.status}` : 'past auth';
      expect({ route, method, outcome }).toEqual({ route, method, outcome: 'past auth' });
    }
  });
});

describe('the secret comparison', () => {
  afterEach(() => jest.restoreAllMocks());
  const post = (key: string) =>
    request(t.app)
      .post('/api/v1/contacts')
      .set(...bearer(key))
      .send({ name: 'Timing check' });

  it('is crypto.timingSafeEqual on two SHA-256 digests, for a right key, a forged one and an unknown prefix', async () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    const forged = forge(t.keys.write);
    for (const [key, status, matched] of [
      [t.keys.write, 201, true],
      [forged, 401, false],
      [generateApiKey().key, 401, false],
    ] as const) {
      spy.mockClear();
      expect((await post(key)).status).toBe(status);
      expect(spy).toHaveBeenCalledTimes(1);
      const [a, b] = spy.mock.calls[0] as unknown as [Buffer, Buffer];
      expect([a.length, b.length]).toEqual([32, 32]);
      expect(spy.mock.results[0]?.value).toBe(matched);
    }
    // A malformed key is refused on its format, which is public: there is no secret to compare.
    spy.mockClear();
    expect((await post('aq_short')).status).toBe(401);
    expect(spy).not.toHaveBeenCalled();
  });

  it('decides by timingSafeEqual alone: no other comparison could let a forged key in or keep a right one out', async () => {
    const forged = forge(t.keys.write);
    jest.spyOn(crypto, 'timingSafeEqual').mockReturnValueOnce(true);
    expect((await post(forged)).status).toBe(201);
    jest.spyOn(crypto, 'timingSafeEqual').mockReturnValueOnce(false);
    expect((await post(t.keys.write)).status).toBe(401);
  });

  it('refuses a forged secret and an unknown prefix alike, and reports how long each took (timing is not asserted: loopback timing is noise)', async () => {
    const median = async (key: string) => {
      const ms: number[] = [];
      for (let i = 0; i < 40; i++) {
        const started = performance.now();
        const res = await request(t.app)
          .get('/api/v1/lexicon')
          .set(...bearer(key));
        ms.push(performance.now() - started);
        expect(res.status).toBe(401);
      }
      return Number(ms.sort((x, y) => x - y)[20]?.toFixed(2));
    };
    const forged = forge(t.keys.read);
    figures.median_ms = { forged_secret: await median(forged), unknown_prefix: await median(generateApiKey().key) };
  });
});

describe('a spawned server logging at trace', () => {
  const f = useServerFixture('auth_logs', 5);

  it('never writes a key or its secret, whatever the request and its outcome', async () => {
    const { server, port } = await f.start({
      WEB_CONCURRENCY: '1',
      DB_CONNECTION_BUDGET: '2',
      LOG_LEVEL: 'trace',
      // Every statement is logged as slow, with its text: parameters must still stay out.
      DB_SLOW_QUERY_MS: '1',
      HTTP_BODY_LIMIT_BYTES: '2048',
    });
    const keys = {
      read: await issueKey(f.database, 'read'),
      write: await issueKey(f.database, 'write'),
      admin: await issueKey(f.database, 'admin'),
      revoked: await issueKey(f.database, 'write', 'revoked'),
      unknown: generateApiKey().key,
    };
    await f.database.query((db) => revokeKey(db, keyPrefix(keys.revoked) as string));
    const presented = [...Object.values(keys), forge(keys.write)];
    const forms = (key: string): Record<string, string>[] => [
      { Authorization: `Bearer ${key}` },
      { Authorization: `bearer   ${key}  ` },
      { Authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      { Authorization: `Token ${key}` },
      { 'X-Api-Key': key, Cookie: `key=${key}` },
    ];
    const sends: [string, string, string | null][] = [
      ['POST', '/api/v1/wells', JSON.stringify({ site_code: 'KS-LOG-1', name: 'Log', latitude: 37, longitude: -100 })],
      ['POST', '/api/v1/wells', JSON.stringify({ name: 'x'.repeat(4_000) })],
      ['POST', '/api/v1/contacts', '{"name":'],
      ['GET', '/api/v1/wells/abc', null],
      ['GET', '/api/v1/wells/999999', null],
      ['GET', '/metrics', null],
      ['DELETE', '/api/v1/wells/1', null],
    ];
    let n = 0;
    for (const key of presented) {
      for (const headers of forms(key)) {
        for (const [method, path, body] of sends) {
          await rawRequest(port, method, path, { ...headers, 'X-Request-Id': `log-${++n}` }, body);
        }
      }
    }
    // Every request got its access line, so each had a line to leak into.
    await waitFor(() => server.logs.filter((l) => String(l.reqId ?? '').startsWith('log-')).length >= n, 15_000);
    const text = [...server.logs.map((l) => JSON.stringify(l)), ...server.rawOutput].join('\n');
    figures.log_requests = n;
    figures.log_lines = server.logs.length;
    for (const key of presented) {
      for (const secret of [key, key.slice(20), Buffer.from(`${key}:`).toString('base64')]) {
        expect({ leaked: text.includes(secret) }).toEqual({ leaked: false });
      }
    }
    // Not an API feature (keys go in Authorization), but worth knowing: a key put in the URL.
    await rawRequest(port, 'GET', `/api/v1/wells?access_token=${keys.read}`, { 'X-Request-Id': 'log-query' }, null);
    await waitFor(() => server.logs.some((l) => l.reqId === 'log-query'), 5_000);
    figures.key_in_query_string_logged = server.logs.some((l) => JSON.stringify(l).includes(keys.read));
  });
});

function rawRequest(port: number, method: string, path: string, headers: Record<string, string>, body: string | null) {
  return new Promise<number>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method,
      path,
      agent: false,
      timeout: 15_000,
      headers: {
        ...headers,
        ...(body !== null && { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }),
      },
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 15 s`)));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

import querystring from 'node:querystring';
import fc from 'fast-check';
import request from 'supertest';
import { useApiFixture } from '../support/api-fixture';
import {
  bulkText,
  hostileHeaders,
  jsonBody,
  mutatedExample,
  pathSegment,
  queryString,
  type HostileHeaders,
} from '../support/hostile-input';
import { echoForms, jsonStrings, leakChecker, publicWordsOf, type LeakChecker } from '../support/leak-check';
import {
  fetchOpenApiDocument,
  mountedRoutes,
  operations,
  requestExamples,
  type Document,
  type Operation,
} from '../support/openapi-document';
import { reportFigures } from '../support/report';
import { seedLinkedRows } from '../support/seed-rows';

/**
 * Every route the OpenAPI document lists, reads and writes, gets random and
 * hostile path segments, query strings, headers and bodies (JSON, CSV, NDJSON).
 * Whatever it is sent, it must answer below 500 and show no SQL, SQLSTATE,
 * schema name, file path or stack frame. Reproduce a failure with
 * FUZZ_ROUTES_SEED=<seed>; FUZZ_ROUTES_RUNS sets the runs per route.
 */
const SEED = Number(process.env.FUZZ_ROUTES_SEED ?? 20_260_601);
const RUNS = Number(process.env.FUZZ_ROUTES_RUNS ?? 36);
// The routes as of this writing (23 under /api/v1, 5 outside); more is fine, fewer means a route went missing.
const KNOWN_ROUTES = 28;

jest.setTimeout(180_000);

const t = useApiFixture({
  label: 'fuzz_routes',
  keys: ['write', 'admin'],
  acquireTimeoutMs: 15_000,
  statementTimeoutMs: 20_000,
  bulkMaxBytes: 256 * 1024,
});

interface Seeded {
  readonly ids: string[];
  readonly siteCode: string;
}

const seedRows = (): Promise<Seeded> =>
  t.onPool(async (db) => {
    const rows = await seedLinkedRows(db, 'KS-FUZZ-SEED');
    return { ids: [rows.well, rows.observation, rows.contact], siteCode: rows.site_code };
  });

interface Sent {
  readonly params: string[];
  readonly query: string;
  readonly headers: HostileHeaders;
  readonly body: { readonly type: string; readonly text: string } | null;
}

const tryDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Every string a request carried, in the forms it may come back in. */
function sentStrings(sent: Sent): string[] {
  const query = querystring.parse(sent.query);
  const raw = [
    ...sent.params,
    ...sent.params.map(tryDecode),
    ...Object.keys(query),
    ...Object.values(query).flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
    ...(sent.headers.requestId !== undefined ? [sent.headers.requestId] : []),
    ...(sent.body ? [sent.body.text, ...sent.body.text.split(/[\r\n,]+/), ...jsonStrings(sent.body.text)] : []),
    ...(sent.body ? sent.body.text.split(/[\r\n]+/).flatMap(jsonStrings) : []),
  ];
  return raw.flatMap(echoForms);
}

const figures = { requests: 0, routes: 0, statuses: {} as Record<number, number>, leaks: 0, over499: 0 };
let doc: Document;
let checker: LeakChecker;
let seeded: Seeded;
/** Strings stored by writes that succeeded: later reads return them, and they are echoes too. */
const stored = new Set<string>();
const keyFor = new Map<string, string>();

beforeAll(async () => {
  doc = await fetchOpenApiDocument(t.app);
  checker = leakChecker(publicWordsOf(doc));
  seeded = await seedRows();
  // A key that reaches each handler: write, or admin where write is refused (GET /metrics).
  for (const [p, method] of operations(doc)) {
    const route = `${method.toUpperCase()} ${p}`;
    const path = p.replace(/\{\w+\}/g, seeded.ids[0] ?? '1');
    const probe = await request(t.app)[method as 'get'](path).set('Authorization', `Bearer ${t.keys.write}`);
    keyFor.set(route, probe.status === 403 ? t.keys.admin : t.keys.write);
  }
});

afterAll(() => reportFigures('fuzz-routes', { ...figures, runs_per_route: RUNS, seed: SEED }));

it('flags what the server must not show, and not what the client sent (the checker itself)', () => {
  const leak = (status: number, body: unknown, echoes: string[] = []) =>
    checker.leakIn(status, JSON.stringify(body), new Set(echoes))?.pattern ?? null;
  expect(leak(409, { detail: 'duplicate key value violates unique constraint "wells_site_code_key"' })).toBe(
    'driver message',
  );
  expect(leak(409, { errors: [{ path: 'observations_well_instant_key' }] })).toBe('constraint or index');
  expect(leak(500, { detail: 'Error: x\n    at handle (/work/main/server/x.ts:3:4)' })).toBe('stack frame');
  expect(leak(400, { detail: 'code 22P02' })).toBe('SQLSTATE');
  expect(leak(400, { detail: 'SELECT id FROM api_keys' })).toBe('SQL statement');
  expect(leak(400, { detail: 'missing FROM-clause entry for table "observations"' })).toBe('table in SQL');
  expect(leak(403, { detail: 'no access to api_keys' })).toBe('internal table');
  expect(leak(200, { items: [{ elevation_ft: '23505' }] })).toBeNull();
  expect(leak(409, { detail: 'Wells named in the file were deleted from wells; retry.' })).toBeNull();
  expect(
    leak(400, { errors: [{ message: "' UNION SELECT x FROM api_keys" }] }, ["' UNION SELECT x FROM api_keys"]),
  ).toBeNull();
  expect(leak(404, { instance: '/api/v1/wells_pkey', detail: 'well 7 does not exist' })).toBeNull();
});

it('enumerates every route the app mounts from the OpenAPI document', () => {
  const documented = operations(doc).map(([p, m]) => `${m.toUpperCase()} ${p}`);
  expect(documented.length).toBeGreaterThanOrEqual(KNOWN_ROUTES);
  expect(new Set(documented)).toEqual(mountedRoutes(t.app));
});

function bodyFor(op: Operation): fc.Arbitrary<Sent['body']> {
  const content = op.requestBody?.content ?? {};
  const types = Object.keys(content);
  const jsonSchema = content['application/json']?.schema;
  const keys = Object.keys((jsonSchema?.properties as Record<string, unknown> | undefined) ?? {});
  const plausible = fc.oneof(
    fc.constantFrom(...seeded.ids, seeded.siteCode, 'owner', 'active', '2024-05-01T12:00:00Z', '1998-06-15'),
    fc.double({ min: -180, max: 180, noNaN: true }),
  );
  const examples = requestExamples(op).filter((e) => typeof e === 'object' && e !== null);
  const anyJson = jsonBody(keys, plausible);
  const json = (examples.length > 0 ? fc.oneof(anyJson, mutatedExample(examples)) : anyJson).map((text) => ({
    type: 'application/json',
    text,
  }));
  if (types.includes('application/json')) return json;
  if (types.length > 0) return bulkText([seeded.siteCode]);
  // Routes without a body get one now and then: it must be ignored, not choked on.
  return fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: json });
}

async function send(method: string, route: string, sent: Sent): Promise<request.Response> {
  let i = 0;
  const url = `${route.replace(/\{\w+\}/g, () => sent.params[i++] ?? '')}${sent.query ? `?${sent.query}` : ''}`;
  const req = request(t.app)[method as 'get'](url);
  const { authorization, contentType, accept, requestId, contentEncoding } = sent.headers;
  if (authorization === 'key') req.set('Authorization', `Bearer ${keyFor.get(`${method.toUpperCase()} ${route}`)}`);
  else if (authorization !== 'none' && authorization !== undefined) req.set('Authorization', authorization);
  if (accept !== undefined) req.set('Accept', accept);
  if (requestId !== undefined) req.set('X-Request-Id', requestId);
  if (!sent.body) return req;
  if (contentEncoding !== undefined) req.set('Content-Encoding', contentEncoding);
  req.set('Content-Type', contentType === 'right' || contentType === undefined ? sent.body.type : contentType);
  return req.send(sent.body.text);
}

describe('every documented route', () => {
  // Read when the tests run, after beforeAll fetched the document.
  const routes = (): [string, string, Operation][] => operations(doc);

  it('answers below 500 and leaks nothing, whatever it is sent', async () => {
    for (const [route, method, op] of routes()) {
      figures.routes++;
      const paramCount = (route.match(/\{\w+\}/g) ?? []).length;
      const queryNames = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const input = fc.record({
        params: fc.tuple(...Array.from({ length: paramCount }, () => pathSegment(seeded.ids))),
        query: queryString(queryNames.length > 0 ? queryNames : ['limit']),
        headers: hostileHeaders,
        body: bodyFor(op),
      });
      await fc.assert(
        fc.asyncProperty(input, async (sent) => {
          const res = await send(method, route, sent);
          figures.requests++;
          figures.statuses[res.status] = (figures.statuses[res.status] ?? 0) + 1;
          const echoes = new Set([...stored, ...sentStrings(sent)]);
          const text = res.text ?? '';
          const leak = checker.leakIn(res.status, text, echoes);
          if (leak) figures.leaks++;
          if (res.status >= 500) figures.over499++;
          const where = `${method.toUpperCase()} ${route} → ${res.status}`;
          if (res.status >= 500) throw new Error(`${where}: ${text.slice(0, 500)}`);
          if (leak) throw new Error(`${where} shows a ${leak.pattern}: …${leak.text}…`);
          // Anything Express answered (it set the id) is a problem document when it is an error.
          if (res.status >= 400 && res.headers['x-request-id'] !== undefined && method !== 'head') {
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
            expect((res.body as { request_id?: unknown }).request_id).toBe(res.headers['x-request-id']);
          }
          if (res.status < 300 && method !== 'get' && sent.body) {
            for (const s of sentStrings(sent)) stored.add(s);
          }
        }),
        { numRuns: RUNS, seed: SEED + figures.routes, endOnFailure: true },
      );
    }
    expect(figures.routes).toBeGreaterThanOrEqual(KNOWN_ROUTES);
  });
});

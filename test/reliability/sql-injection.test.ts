import http from 'node:http';
import request from 'supertest';
import { useApiFixture } from '../support/api-fixture';
import { bearer } from '../support/api-keys';
import { SQL_PAYLOADS } from '../support/hostile-input';
import { leakChecker, publicWordsOf, type LeakChecker } from '../support/leak-check';
import { fetchOpenApiDocument, operations, requestExamples, type Document } from '../support/openapi-document';
import { reportFigures } from '../support/report';
import { idFor, seedLinkedRows, withIds, type SeededRows } from '../support/seed-rows';
import { changedTables, tableFingerprint, type Fingerprint } from '../support/table-fingerprint';

/**
 * Classic SQL-injection payloads in every string parameter of every read and
 * delete, every string field of every JSON write and every column of a bulk
 * upload. Never a 5xx; a refused request changes no table; an accepted write
 * stores the payload exactly as sent. Routes and fields come from the OpenAPI
 * document, so a new one is covered without editing this file.
 */
jest.setTimeout(180_000);

const t = useApiFixture({
  label: 'sql_injection',
  keys: ['write'],
  acquireTimeoutMs: 15_000,
  statementTimeoutMs: 20_000,
  bulkMaxBytes: 1024 * 1024,
});

// A payload that ran as SQL would make its request sleep at least this long.
const PG_SLEEP_MS = 5_000;
const HAS_NUL = (s: string) => s.includes('\u0000');

type Schema = { type?: string | string[]; items?: Schema; enum?: unknown[] };
const isString = (s: Schema | undefined) =>
  s !== undefined && (s.type === 'string' || (Array.isArray(s.type) && s.type.includes('string')));

let doc: Document;
let checker: LeakChecker;
let seed: SeededRows;
const figures = { requests: 0, statuses: {} as Record<number, number>, stored: 0, refused: 0, max_ms: 0 };

const fingerprint = () => t.onPool(tableFingerprint);

// One listener for the file: supertest would otherwise open and close one per request.
let server: http.Server;
/** A request with the write key, so writes reach their handlers. */
function call(method: string, path: string): request.Test {
  const req = request(server)[method as 'get'](path);
  return req.set(...bearer(t.keys.write));
}

beforeAll(async () => {
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  doc = await fetchOpenApiDocument(t.app);
  checker = leakChecker(publicWordsOf(doc));
  seed = await t.onPool((db) => seedLinkedRows(db, 'KS-SQLI-SEED'));
});

afterAll(async () => {
  reportFigures('sql-injection', { ...figures, payloads: SQL_PAYLOADS.length });
  await new Promise((resolve) => server.close(resolve));
});

async function timed(req: request.Test): Promise<request.Response> {
  const started = performance.now();
  const res = await req;
  const ms = performance.now() - started;
  figures.requests++;
  figures.max_ms = Math.max(figures.max_ms, Math.round(ms));
  figures.statuses[res.status] = (figures.statuses[res.status] ?? 0) + 1;
  return res;
}

/** No 5xx, and nothing but echoes of the payloads in the answer. */
function expectSafe(where: string, res: request.Response, ...payloads: string[]): void {
  const leak = checker.leakIn(res.status, res.text, new Set(payloads));
  expect({ where, status: res.status < 500 ? 'below 500' : res.status, leak }).toEqual({
    where,
    status: 'below 500',
    leak: null,
  });
}

const cursors = (payload: string) =>
  [{ after_id: payload }, { after: payload }].map((c) => Buffer.from(JSON.stringify(c)).toString('base64url'));

/** Runs the tasks `width` at a time. */
async function inParallel(tasks: readonly (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
  };
  await Promise.all(Array.from({ length: width }, lane));
}

it('puts every payload in every string parameter of every read and delete, and changes nothing', async () => {
  const before = await fingerprint();
  const cases: (() => Promise<void>)[] = [];
  for (const [route, method, op] of operations(doc)) {
    if (method !== 'get' && method !== 'delete') continue;
    const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
    const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query' && isString(p.schema)).map((p) => p.name);
    const url = (injected: string | null, value: string) =>
      route.replace(/\{(\w+)\}/g, (_m, name: string) =>
        name === injected ? encodeURIComponent(value) : idFor(route, name, seed),
      );
    for (const payload of SQL_PAYLOADS) {
      for (const param of pathParams) {
        cases.push(async () => {
          const res = await timed(call(method, url(param, payload)));
          expectSafe(`${method} ${route} ${param}=${JSON.stringify(payload)}`, res, payload);
        });
      }
      for (const param of queryParams) {
        for (const value of param === 'cursor' ? [payload, ...cursors(payload)] : [payload]) {
          cases.push(async () => {
            const res = await timed(call(method, url(null, '')).query({ [param]: value }));
            expectSafe(`${method} ${route}?${param}=${JSON.stringify(value)}`, res, payload);
          });
        }
      }
    }
  }
  expect(cases.length).toBeGreaterThan(SQL_PAYLOADS.length * 10);
  // Reads change nothing whatever their order, so they may overlap; the fingerprint is compared once, after all.
  await inParallel(cases, 4);
  expect(await fingerprint()).toEqual(before);
  expect(figures.max_ms).toBeLessThan(PG_SLEEP_MS);
});

/** The table a write lands in: the last literal segment of its path (wells, observations, contacts). */
const tableOf = (route: string) =>
  route
    .split('/')
    .filter((s) => s !== '' && !s.startsWith('{'))
    .pop() as string;

/** Everything but `table` must be as it was; `table` must have changed. */
function expectOnlyChanged(where: string, before: Fingerprint, after: Fingerprint, table: string) {
  expect({ where, changed: changedTables(before, after) }).toEqual({ where, changed: [table] });
}

it('stores every payload in every string field of every JSON write exactly, or refuses it and changes nothing', async () => {
  let n = 0;
  let before = await fingerprint();
  for (const [route, method, op] of operations(doc)) {
    const schema = op.requestBody?.content['application/json']?.schema as
      { properties?: Record<string, Schema> } | undefined;
    if (method === 'get' || !schema?.properties) continue;
    const example = (requestExamples(op)[0] ?? {}) as Record<string, unknown>;
    const fields = Object.entries(schema.properties).filter(([, s]) => isString(s) || isString(s.items));
    for (const [field, fieldSchema] of fields) {
      for (const payload of SQL_PAYLOADS) {
        n++;
        const value = isString(fieldSchema) ? payload : [payload];
        // Unique where the schema must be, so only the payload can be why a write is refused.
        const unique = {
          site_code: `KS-SQLI-${n}`,
          observed_at: new Date(Date.UTC(2021, 0, 1, 0, 0, n)).toISOString(),
        };
        const base = method === 'post' ? { ...example, ...pick(unique, Object.keys(example)) } : {};
        const path = withIds(route, seed);
        const res = await timed(call(method, path).send({ ...base, [field]: value }));
        const where = `${method} ${route} ${field}=${JSON.stringify(payload)} → ${res.status}`;
        expectSafe(where, res, payload);
        const after = await fingerprint();
        if (res.status >= 300) {
          figures.refused++;
          expect({ where, unchanged: after }).toEqual({ where, unchanged: before });
          continue;
        }
        figures.stored++;
        const table = tableOf(route);
        expectOnlyChanged(where, before, after, table);
        const id = (res.body as { id?: number }).id;
        const row = await t.onPool((db) =>
          db.one<{ v: unknown }>({ text: `SELECT ${field} AS v FROM ${table} WHERE id = $1`, values: [id] }),
        );
        expect({ where, response: (res.body as Record<string, unknown>)[field], stored: row.v }).toEqual({
          where,
          response: value,
          stored: value,
        });
        before = after;
      }
    }
  }
  expect(figures.stored).toBeGreaterThan(0);
  expect(figures.refused).toBeGreaterThan(0);
});

const pick = (o: Record<string, string>, keys: string[]) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));

const BULK_COLUMNS = ['site_code', 'observed_at', 'method', 'data_quality', 'observer', 'notes'] as const;
const csvField = (s: string) => `"${s.replace(/"/g, '""')}"`;

it('stores every payload in every column of a CSV or NDJSON upload exactly, or refuses the file and changes nothing', async () => {
  let n = 0;
  let before = await fingerprint();
  const outcomes: Record<string, number> = {};
  for (const type of ['text/csv', 'application/x-ndjson']) {
    for (const column of BULK_COLUMNS) {
      // All or nothing per file: payloads PostgreSQL cannot store (NUL) go in a file of their own.
      for (const payloads of [SQL_PAYLOADS.filter((p) => !HAS_NUL(p)), SQL_PAYLOADS.filter(HAS_NUL)]) {
        const rows = payloads.map((payload) => ({
          site_code: seed.site_code,
          observed_at: new Date(Date.UTC(2022, 0, 1, 0, 0, ++n)).toISOString(),
          depth_to_water_ft: '10.5',
          [column]: payload,
        }));
        const columns = Object.keys(rows[0] ?? {});
        const text =
          type === 'text/csv'
            ? [columns.join(','), ...rows.map((r) => columns.map((c) => csvField(r[c] as string)).join(','))].join('\n')
            : rows.map((r) => JSON.stringify(r)).join('\n');
        const res = await timed(call('post', '/api/v1/observations/bulk').type(type).send(text));
        const where = `bulk ${type} ${column} (${payloads.length} payloads) → ${res.status}`;
        expectSafe(where, res, ...payloads);
        outcomes[`${column}:${res.status}`] = (outcomes[`${column}:${res.status}`] ?? 0) + 1;
        const after = await fingerprint();
        if (res.status >= 300) {
          expect({ where, unchanged: after }).toEqual({ where, unchanged: before });
          continue;
        }
        expectOnlyChanged(where, before, after, 'observations');
        expect(res.body).toEqual({ inserted: rows.length });
        const stored = await t.onPool((db) =>
          db.many<{ at: Date; v: string }>({
            text: `SELECT observed_at AS at, ${column} AS v FROM observations WHERE observed_at = ANY($1::timestamptz[])`,
            values: [rows.map((r) => r.observed_at)],
          }),
        );
        const byInstant = new Map(stored.map((r) => [r.at.toISOString(), r.v]));
        expect({ where, stored: rows.map((r) => byInstant.get(r.observed_at)) }).toEqual({ where, stored: payloads });
        before = after;
      }
    }
  }
  reportFigures('sql-injection-bulk', outcomes);
  // Free-text columns take any payload without NUL; the others refuse the file.
  for (const column of ['observer', 'notes']) expect(outcomes[`${column}:201`]).toBe(2);
});

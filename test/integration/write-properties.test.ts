import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type Joi from 'joi';
import request from 'supertest';
import { apiEndpoints } from '../../server/api';
import { VOCABULARIES } from '../../server/lexicon/vocabularies';
import type { Endpoint } from '../../server/lib/endpoint';
import { bearer } from '../support/api-keys';
import { useApiFixture } from '../support/api-fixture';
import { buildTestApp } from '../support/app';
import { NUMBER_LITERALS, PROTO_KEYS } from '../support/hostile-input';
import { echoForms, jsonStrings, serverText } from '../support/leak-check';
import { seedLinkedRows } from '../support/seed-rows';

/**
 * Every write route, whatever components exist when this runs, gets random and
 * hostile input. Whatever it is sent, it must answer below 500 and must not show
 * SQL, schema names, SQLSTATEs, stack frames or file paths.
 * Reproduce a failure with WRITE_PROPERTIES_SEED=<seed printed in the failure>.
 */
const SEED = Number(process.env.WRITE_PROPERTIES_SEED ?? 20_261_123);
const RUNS_PER_ROUTE = Number(process.env.WRITE_PROPERTIES_RUNS ?? 60);
const API = { readsRequireAuth: false, bulkMaxBytes: 256 * 1024, bulkStatementTimeoutMs: 60_000 };

jest.setTimeout(300_000);

const t = useApiFixture({
  label: 'write_props',
  ...API,
  acquireTimeoutMs: 15_000,
  statementTimeoutMs: 20_000,
  keys: ['write', 'admin'],
});

// ---- what the server must never show --------------------------------------------------------

const LEAKS: readonly RegExp[] = [
  /SQLSTATE/i,
  /\b(23505|23503|23502|23514|22P02|22003|22007|22008|22021|22001|40001|40P01|57014|42P01|42703|42601|42883|54001)\b/,
  /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|RETURNING)\b/,
  /\b\w+_(pkey|fkey|key|check|idx|excl)\b/,
  /\b(api_keys|key_hash|well_contacts|well_statuses|well_types|measurement_methods|data_qualities|contact_roles|app_markers|pg_[a-z_]+)\b/,
  /violates|duplicate key|null value in column|relation "|column "[^"]*" (of relation|does not exist)|syntax error|invalid input syntax|out of range for type|value too long/i,
  /\n\s+at |\s{4}at \S/,
  /\/work\/|node_modules|\.[jt]s:\d+/,
  /DatabaseQueryError|TypeError|RangeError|ReferenceError|SyntaxError|Maximum call stack/,
];

const leakIn = (text: string): RegExp | undefined => LEAKS.find((pattern) => pattern.test(text));

/**
 * The response's text with every echo of the request removed (a 201 returns what
 * was stored, a 400 names the keys sent), so only what the server added is checked.
 */
const textAdded = (responseText: string, sent: readonly string[]): string =>
  serverText(responseText, new Set(sent.flatMap(echoForms)));

// ---- hostile input ------------------------------------------------------------------------------

type Tree =
  | null
  | boolean
  | string
  | { kind: 'raw'; text: string }
  | { kind: 'array'; items: Tree[] }
  | { kind: 'object'; entries: [string, Tree][] };

/** JSON text from a tree; raw leaves go in verbatim, so numbers JSON.stringify cannot write (1e999) get through. */
function toJson(tree: Tree): string {
  if (tree === null || typeof tree === 'boolean' || typeof tree === 'string') return JSON.stringify(tree);
  if (tree.kind === 'raw') return tree.text;
  if (tree.kind === 'array') return `[${tree.items.map(toJson).join(',')}]`;
  return `{${tree.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
}

const raw = (text: string): Tree => ({ kind: 'raw', text });

const SQLISH = [
  "'; DROP TABLE wells; --",
  "1' OR '1'='1",
  '$1',
  '%',
  '\\',
  '\u0000',
  'a\u0000b',
  "') RETURNING *; --",
  'NULL',
  'DEFAULT',
];
const DATES = [
  'infinity',
  '-infinity',
  'epoch',
  'now',
  '0000-00-00',
  '9999-12-31',
  '2024-02-30',
  '1800-01-01',
  '2024-05-01T12:00:00Z',
  '2024-05-01T25:61:00+14:00',
  '1969-12-31T23:59:59.9999999-12:00',
  '275760-09-13T00:00:00Z',
];
const TERMS = Object.values(VOCABULARIES).flatMap((v) => [...v.terms]);

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(...SQLISH, ...DATES, ...TERMS, '', ' ', 'true', 'null'),
  fc.string({ unit: 'grapheme-ascii', minLength: 200, maxLength: 3000 }),
);

const hostileNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => raw(JSON.stringify(n))),
  fc.integer().map((n) => raw(String(n))),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n) => raw(n.toString())),
  fc.constantFrom(...NUMBER_LITERALS).map(raw),
);

/** Values a real client might send: terms, ids, dates, small numbers, short words. */
const plausible = (ids: readonly string[]): fc.Arbitrary<Tree> =>
  fc.oneof(
    fc.constantFrom(...TERMS),
    fc.constantFrom(...DATES),
    fc.constantFrom(...ids),
    fc.constantFrom(...ids).map(raw),
    fc.integer({ min: -90, max: 90 }).map((n) => raw(String(n))),
    fc.double({ min: -180, max: 180, noNaN: true }).map((n) => raw(String(n))),
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 .@_-]{0,20}$/),
    fc.constant(null),
    fc
      .array(fc.stringMatching(/^[a-z0-9.@+-]{1,20}$/), { maxLength: 3 })
      .map((items) => ({ kind: 'array' as const, items })),
  );

const deepNesting = fc
  .integer({ min: 50, max: 5_000 })
  .chain((depth) =>
    fc.constantFrom(
      raw(`${'['.repeat(depth)}${']'.repeat(depth)}`),
      raw(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
    ),
  );

function treeOf(keyNames: readonly string[], ids: readonly string[]): fc.Arbitrary<Tree> {
  const key = fc.oneof(
    { weight: 2, arbitrary: keyNames.length > 0 ? fc.constantFrom(...keyNames) : fc.constant('name') },
    { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  );
  const { tree } = fc.letrec<{ tree: Tree; leaf: Tree }>((tie) => ({
    leaf: fc.oneof(fc.constant(null), fc.boolean(), hostileNumber, hostileString, plausible(ids)),
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('leaf'),
      fc.array(tie('tree'), { maxLength: 4 }).map((items) => ({ kind: 'array' as const, items })),
      fc.array(fc.tuple(key, tie('tree')), { maxLength: 5 }).map((entries) => ({ kind: 'object' as const, entries })),
    ),
  }));
  return tree;
}

/** The right keys with mostly plausible, sometimes hostile values, plus now and then a key that does not belong. */
function keyedObject(keyNames: readonly string[], ids: readonly string[]): fc.Arbitrary<Tree> {
  const value = fc.oneof(
    { weight: 3, arbitrary: plausible(ids) },
    { weight: 1, arbitrary: treeOf(keyNames, ids) },
    { weight: 1, arbitrary: deepNesting },
  );
  const entries = fc
    .subarray([...keyNames])
    .chain((present) => fc.tuple(...present.map((k) => value.map((v): [string, Tree] => [k, v]))));
  const extra = fc.option(fc.tuple(fc.constantFrom(...PROTO_KEYS, 'id', 'created_at'), treeOf(keyNames, ids)));
  return fc.tuple(entries, extra).map(([es, x]) => ({ kind: 'object' as const, entries: x ? [...es, x] : es }));
}

/** Top-level keys a joi body schema names (for an array body, those of its items). */
function schemaKeys(schema: Joi.Schema | undefined): string[] {
  if (!schema) return [];
  const d = schema.describe() as {
    type?: string;
    keys?: Record<string, unknown>;
    items?: { keys?: Record<string, unknown> }[];
  };
  if (d.type === 'array') return Object.keys(d.items?.[0]?.keys ?? {});
  return Object.keys(d.keys ?? {});
}

function jsonBody(e: Endpoint, ids: readonly string[]): fc.Arbitrary<string> {
  const keyNames = schemaKeys(e.body);
  const object = keyedObject(keyNames, ids);
  return fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    object.map(toJson),
    fc.array(object, { maxLength: 5 }).map((items) => toJson({ kind: 'array', items })),
    treeOf(keyNames, ids).map(toJson),
    deepNesting.map(toJson),
  );
}

function rawTextBody(e: Endpoint, ids: readonly string[]): fc.Arbitrary<string> {
  const cell = fc.oneof(hostileString, fc.constantFrom(...ids, ...NUMBER_LITERALS), fc.constant('"'));
  const header = fc.shuffledSubarray([
    'well_id',
    'site_code',
    'observed_at',
    'depth_to_water_ft',
    'method',
    'data_quality',
    'notes',
    'x',
  ]);
  const csv = fc
    .tuple(header, fc.array(fc.array(cell, { maxLength: 8 }), { maxLength: 20 }), fc.constantFrom('\n', '\r\n'))
    .map(([h, rows, eol]) => [h.join(','), ...rows.map((r) => r.join(','))].join(eol));
  const ndjson = fc.array(jsonBody(e, ids), { maxLength: 10 }).map((lines) => lines.join('\n'));
  return fc.oneof(csv, ndjson, fc.string({ unit: 'binary', maxLength: 2_000 }), fc.constant(''));
}

function queryOf(e: Endpoint): fc.Arbitrary<Record<string, string>> {
  const names = [...schemaKeys(e.query), 'unexpected'];
  return fc.dictionary(fc.constantFrom(...names), fc.oneof(hostileString, fc.constantFrom('true', 'false', '1', '0')), {
    maxKeys: 3,
  });
}

// ---- the routes ---------------------------------------------------------------------------------

// Only the routes' descriptions are used from this app; requests go to `t`, and nothing connects here.
const described = buildTestApp('postgresql://unused@127.0.0.1:1/none', { poolSize: 1 });
afterAll(() => described.close());
const writeRoutes = apiEndpoints(described.db, API).filter((e) => e.method !== 'get');

/** A well with an observation and a linked contact (a new set per route), so existing ids lead somewhere. */
async function seedRows(): Promise<string[]> {
  const row = await t.database.query((db) => seedLinkedRows(db, `KS-PROP-${randomUUID()}`));
  return [row.well, row.observation, row.contact];
}

const pathParam = (ids: readonly string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ids) },
    { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 2n ** 63n }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom('0', '-1', 'abc', '1.5', '9223372036854775808', '%00', "1'--") },
  );

describe('every write route', () => {
  it('is found in the endpoint list', () => {
    expect(writeRoutes.map((e) => e.operationId)).toEqual(
      expect.arrayContaining(['createWell', 'updateWell', 'deleteWell']),
    );
  });

  it('flags leaks and ignores echoes (the checker itself)', () => {
    const leak = (body: unknown, sent: string[] = []) => leakIn(textAdded(JSON.stringify(body), sent));
    expect(leak({ detail: 'duplicate key value violates unique constraint "wells_site_code_key"' })).toBeDefined();
    expect(leak({ detail: 'Error\n    at handle (/work/main/server/x.ts:3:4)' })).toBeDefined();
    expect(leak({ errors: [{ path: 'body.DELETE FROM x' }] }, ['DELETE FROM x'])).toBeUndefined();
    expect(leak({ instance: '/api/v1/wells/1', detail: 'well 1 does not exist' })).toBeUndefined();
    expect(leak({ detail: 'required column "observed_at" is missing' })).toBeUndefined();
    expect(leak({ detail: 'column "observed" does not exist' })).toBeDefined();
  });

  it.each(writeRoutes.map((e) => [`${e.method.toUpperCase()} ${e.path}`, e] as const))(
    '%s answers below 500 and leaks nothing, for any input',
    async (_name, e) => {
      const ids = await seedRows();
      const key = e.scope === 'admin' ? t.keys.admin : t.keys.write;
      const paramNames = [...e.path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
      const body: fc.Arbitrary<{ type: string; text: string } | null> = e.rawBody
        ? fc
            .tuple(fc.constantFrom(...e.rawBody.contentTypes), rawTextBody(e, ids))
            .map(([type, text]) => ({ type, text }))
        : e.body
          ? jsonBody(e, ids).map((text) => ({ type: 'application/json', text }))
          : fc.constant(null);
      const input = fc.record({ params: fc.tuple(...paramNames.map(() => pathParam(ids))), query: queryOf(e), body });

      await fc.assert(
        fc.asyncProperty(input, async ({ params, query, body: sent }) => {
          let i = 0;
          const url = `/api/v1${e.path.replace(/:(\w+)/g, () => encodeURIComponent(params[i++] ?? ''))}`;
          const agent = request(t.app);
          const req = agent[e.method](url)
            .query(query)
            .set(...bearer(key));
          const res = sent ? await req.set('Content-Type', sent.type).send(sent.text) : await req;
          const sentStrings = [
            ...params,
            ...Object.entries(query).flat(),
            ...(sent ? [sent.text, ...sent.text.split(/[\r\n,]+/)] : []),
            ...(sent?.type === 'application/json' ? jsonStrings(sent.text) : []),
          ];
          const text = textAdded(res.text ?? '', sentStrings);
          const report = { status: res.status, leak: leakIn(text)?.source ?? null };
          expect({ report, body: res.body as unknown }).toMatchObject({ report: { leak: null } });
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        }),
        { numRuns: RUNS_PER_ROUTE, seed: SEED, endOnFailure: false },
      );
    },
  );
});

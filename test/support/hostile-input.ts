import fc from 'fast-check';

/**
 * fast-check arbitraries for hostile requests: JSON bodies, query strings, path
 * segments, headers and bulk-upload lines. Pure: nothing here sends a request.
 */

/** Classic SQL-injection payloads, plus the characters quoting and LIKE treat specially. */
export const SQL_PAYLOADS: readonly string[] = [
  "' OR 1=1 --",
  "' OR '1'='1",
  '" OR ""="',
  "'; DROP TABLE wells; --",
  "'); DELETE FROM observations; --",
  "1; UPDATE wells SET name = 'pwned'",
  '1 UNION SELECT key_hash FROM api_keys',
  "' UNION SELECT NULL, version() --",
  "1' AND pg_sleep(5) IS NULL --",
  "'||(SELECT pg_sleep(5))||'",
  '$$; DROP TABLE contacts; $$',
  '$1',
  '$tag$ x $tag$',
  "\\'; TRUNCATE wells; --",
  "E'\\x27'",
  '\\',
  '\\\\',
  'a\\nb',
  '\u0000',
  "a\u0000'; DROP TABLE wells; --",
  '%',
  '_',
  '%_%',
  "' --",
  '/* comment */',
  '*/ SELECT 1 /*',
  "'::regclass",
  "admin'--",
  '1e999',
  'NaN',
  '-1 OR 1=1',
];

/** Strings that are paths, templates or markup in other layers. */
const OTHER_PAYLOADS: readonly string[] = [
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '/work/main/node_modules/x.ts:1:2',
  '${process.env.HOME}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '\r\nX-Injected: 1',
  '\uFEFF',
  '\u202E',
  'e\u0301',
  '\uD83D\uDCA7',
  'null',
  'true',
  '[]',
  '{}',
];

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Number literals JSON.stringify cannot write, or that overflow or lose precision. */
export const NUMBER_LITERALS = [
  '1e999',
  '-1e999',
  '1e308',
  '-0',
  '0.1e-400',
  '9223372036854775808',
  '9007199254740993',
  '123456789012345678901234567890',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SQL_PAYLOADS, ...OTHER_PAYLOADS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 300, maxLength: 5_000 }) },
);

/** A JSON text built from parts, so raw number literals (1e999) and deep nesting get through. */
type Tree = null | boolean | string | { raw: string } | Tree[] | { entries: [string, Tree][] };

function toJson(tree: Tree): string {
  if (tree === null || typeof tree === 'boolean' || typeof tree === 'string') return JSON.stringify(tree);
  if (Array.isArray(tree)) return `[${tree.map(toJson).join(',')}]`;
  if ('raw' in tree) return tree.raw;
  return `{${tree.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
}

const number: fc.Arbitrary<Tree> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => ({ raw: JSON.stringify(n) })),
  fc.integer().map((n) => ({ raw: String(n) })),
  fc.constantFrom(...NUMBER_LITERALS).map((raw) => ({ raw })),
);

const deepNesting: fc.Arbitrary<string> = fc
  .integer({ min: 100, max: 5_000 })
  .chain((depth) =>
    fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  );

/** Any JSON: the schema's own keys with plausible or hostile values, prototype keys, wrong types, nesting. */
export function jsonBody(keys: readonly string[], plausible: fc.Arbitrary<string | number>): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 3, arbitrary: keys.length > 0 ? fc.constantFrom(...keys) : fc.constant('name') },
    { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  );
  const leaf: fc.Arbitrary<Tree> = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    number,
    hostileString,
    plausible.map((v) => (typeof v === 'number' ? { raw: String(v) } : v)),
  );
  const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.array(fc.tuple(key, tie('tree')), { maxLength: 6 }).map((entries) => ({ entries })),
    ),
  }));
  const keyed = fc
    .subarray([...keys])
    .chain((present) => fc.tuple(...present.map((k) => fc.tuple(fc.constant(k), fc.oneof(leaf, leaf, tree)))))
    .map((entries): Tree => ({ entries }));
  return fc.oneof(
    { weight: 4, arbitrary: keyed.map(toJson) },
    { weight: 2, arbitrary: tree.map(toJson) },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    // Not JSON at all, or cut short.
    {
      weight: 1,
      arbitrary: fc.oneof(
        hostileString,
        keyed.map((t) => toJson(t).slice(0, -1)),
      ),
    },
  );
}

/** A documented example with one field swapped for a hostile value: valid enough to reach the database. */
export function mutatedExample(examples: readonly Record<string, unknown>[]): fc.Arbitrary<string> {
  const value = fc.oneof(
    { weight: 4, arbitrary: hostileString.map((v) => ({ v })) },
    { weight: 1, arbitrary: fc.constantFrom(...NUMBER_LITERALS).map((raw) => ({ raw })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => ({ v })) },
  );
  const RAW = '\u0000raw-literal\u0000';
  return fc.tuple(fc.constantFrom(...examples), fc.nat(), value).map(([example, i, swap]) => {
    const keys = Object.keys(example);
    const key = keys[i % keys.length] ?? 'name';
    const text = JSON.stringify({ ...example, [key]: 'raw' in swap ? RAW : swap.v });
    return 'raw' in swap ? text.replace(JSON.stringify(RAW), swap.raw) : text;
  });
}

/** Query pairs, raw (already encoded): known and unknown keys, repeats, bracket syntax, bad escapes, huge values. */
export function queryString(names: readonly string[]): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names, 'unexpected') },
    { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS, 'limit[]', 'q[a]', 'a[__proto__]', '', 'limit[0]') },
  );
  const value = fc.oneof(
    { weight: 4, arbitrary: hostileString.map(encodeURIComponent) },
    { weight: 2, arbitrary: fc.constantFrom('1', '0', '-1', '500', '501', 'true', '1e999', '9'.repeat(40)) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%00', '%C0%AF', '%E2%82', '+++', 'a&b', '=') },
    { weight: 1, arbitrary: fc.integer({ min: 2_000, max: 8_000 }).map((n) => 'x'.repeat(n)) },
  );
  return fc
    .array(fc.tuple(key, value), { maxLength: 6 })
    .chain((pairs) =>
      // Sometimes the same key again, which makes an array of it.
      fc.boolean().map((repeat) => (repeat && pairs[0] ? [...pairs, pairs[0]] : pairs)),
    )
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&'));
}

/** A path segment, raw: real ids, huge or negative numbers, hostile text, bad escapes. */
export function pathSegment(ids: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ids) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom('0', '-0', '1.5', '1e3', '0x10', ' 1', '9007199254740993') },
    { weight: 2, arbitrary: hostileString.map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%00', '%2e%2e', '..', '%2F', ';', 'x'.repeat(3_000)) },
  );
}

/** Header values Node will send (visible ASCII, tab, Latin-1), for Authorization, Accept and the like. */
const headerText = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }))
    .map((c) => String.fromCharCode(c)),
  maxLength: 300,
});

const ODD_CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=bogus',
  'application/json;;;',
  'application/merge-patch+json',
  'text/csv',
  'application/x-ndjson',
  '*/*',
  'json',
];

export interface HostileHeaders {
  readonly contentType?: string;
  readonly accept?: string;
  readonly authorization?: 'key' | 'none' | string;
  readonly requestId?: string;
  readonly contentEncoding?: string;
}

export const hostileHeaders: fc.Arbitrary<HostileHeaders> = fc.record(
  {
    contentType: fc.oneof(
      { weight: 4, arbitrary: fc.constant('right') },
      { weight: 1, arbitrary: fc.constantFrom(...ODD_CONTENT_TYPES) },
      { weight: 1, arbitrary: headerText },
    ),
    accept: fc.oneof(fc.constantFrom('application/xml', 'text/csv', '*/*', 'application/problem+json'), headerText),
    authorization: fc.oneof(
      { weight: 8, arbitrary: fc.constant('key') },
      { weight: 1, arbitrary: fc.constant('none') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Basic Og==', 'Bearer aq_', `Bearer ${'a'.repeat(8_000)}`),
      },
      { weight: 1, arbitrary: headerText },
    ),
    requestId: fc.oneof(headerText, fc.constant('x'.repeat(129))),
    // Rare: a body that says it is compressed and is not never reaches a handler.
    contentEncoding: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'bogus') },
    ),
  },
  { requiredKeys: ['contentType', 'authorization', 'contentEncoding'] },
);

/** CSV or NDJSON upload text: a header (CSV) and lines of known sites and hostile cells. */
export function bulkText(siteCodes: readonly string[]): fc.Arbitrary<{ type: string; text: string }> {
  const columns = ['site_code', 'observed_at', 'depth_to_water_ft', 'method', 'data_quality', 'observer', 'notes'];
  const cell = fc.oneof(
    fc.constantFrom(...siteCodes, '2024-05-01T12:00:00Z', '12.5', 'steel-tape', 'approved', '"', '""', ''),
    hostileString,
    fc.constantFrom(...NUMBER_LITERALS),
  );
  const csvCell = cell.map((c) => (/[",\r\n]/.test(c) && c.length > 1 ? `"${c.replace(/"/g, '""')}"` : c));
  const csv = fc
    .tuple(
      fc.shuffledSubarray([...columns, 'unknown', 'site_code'], { minLength: 1 }),
      fc.array(fc.array(csvCell, { maxLength: 9 }), { maxLength: 15 }),
      fc.constantFrom('\n', '\r\n', '\r'),
    )
    .map(([header, rows, eol]) => ({
      type: 'text/csv',
      text: [header.join(','), ...rows.map((r) => r.join(','))].join(eol),
    }));
  const line = jsonBody(columns, fc.constantFrom(...siteCodes, '2024-05-01T12:00:00Z', 12.5));
  const ndjson = fc
    .array(line, { maxLength: 12 })
    .map((lines) => ({ type: 'application/x-ndjson', text: lines.join('\n') }));
  const junk = fc
    .tuple(fc.constantFrom('text/csv', 'application/x-ndjson'), fc.string({ unit: 'binary', maxLength: 2_000 }))
    .map(([type, text]) => ({ type, text }));
  return fc.oneof(csv, ndjson, junk);
}

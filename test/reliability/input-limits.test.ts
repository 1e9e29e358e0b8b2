import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { useApiFixture } from '../support/api-fixture';
import { fetchOpenApiDocument, operations, type Document } from '../support/openapi-document';
import { expectProblem } from '../support/problem-assertions';
import { reportFigures } from '../support/report';
import { seedLinkedRows, withIds, type SeededRows } from '../support/seed-rows';

/**
 * Every route that takes a body (read from the OpenAPI document) refuses one
 * too large with 413, one that is not JSON (or CSV/NDJSON) with 400 and one of
 * the wrong type with 415, each a problem document carrying the request id;
 * and the HTTP layer refuses oversized headers while serving the next request.
 */
jest.setTimeout(120_000);

const BODY_LIMIT = 4 * 1024;
const BULK_LIMIT = 16 * 1024;
/** Each request's own limit: far past any answer here, so only a hang reaches it. */
const REQUEST_TIMEOUT_MS = 15_000;

const t = useApiFixture({
  label: 'input_limits',
  keys: ['write'],
  bodyLimitBytes: BODY_LIMIT,
  bulkMaxBytes: BULK_LIMIT,
  acquireTimeoutMs: 15_000,
  statementTimeoutMs: 20_000,
});

let doc: Document;
let server: http.Server;
let port: number;
let seed: SeededRows;
const figures = { requests: 0, routes: 0, statuses: {} as Record<number, number> };

beforeAll(async () => {
  doc = await fetchOpenApiDocument(t.app);
  server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  seed = await t.onPool((db) => seedLinkedRows(db, 'KS-LIMIT-1'));
});

afterAll(async () => {
  reportFigures('input-limits', figures);
  await new Promise((resolve) => server.close(resolve));
});

const count = (status: number) => {
  figures.requests++;
  figures.statuses[status] = (figures.statuses[status] ?? 0) + 1;
};

/** [route, method, path with real ids, the content types it accepts]. */
function bodyRoutes(): [string, string, string, string[]][] {
  return operations(doc)
    .filter(([, , op]) => op.requestBody !== undefined)
    .map(([route, method, op]) => [route, method, withIds(route, seed), Object.keys(op.requestBody?.content ?? {})]);
}

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/**
 * Sends exactly these bytes with exactly these headers (superagent would pick a
 * type or serialize a Buffer as JSON), with a Content-Length or, given several
 * chunks, chunked as a streaming client would.
 */
function send(
  method: string,
  path: string,
  type: string | null,
  body: string | Buffer | readonly string[],
  extra: Record<string, string> = {},
): Promise<RawResponse> {
  const chunked = Array.isArray(body);
  const headers: Record<string, string> = { Authorization: `Bearer ${t.keys.write}`, ...extra };
  if (type !== null) headers['Content-Type'] = type;
  if (chunked) headers['Transfer-Encoding'] = 'chunked';
  else headers['Content-Length'] = String(Buffer.byteLength(body as string | Buffer));
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: method.toUpperCase(),
      path,
      headers,
      agent: false,
      timeout: REQUEST_TIMEOUT_MS,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    // Closed before a whole response (a reset the error handler lets pass): fail instead of waiting on.
    // A settled promise ignores the later reject.
    req.on('close', () => reject(new Error('the connection closed without a whole response')));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        count(res.statusCode ?? 0);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
      });
    });
    // The server may answer and close before the whole body is written.
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err),
    );
    for (const chunk of chunked ? (body as readonly string[]) : [body as string | Buffer]) req.write(chunk);
    req.end();
  });
}

/** A problem document (RFC 9457) with this status, carrying the request id of its response. */
function expectProblemOf(where: Record<string, unknown>, res: RawResponse, status: number, code?: string): void {
  const body = (res.headers['content-type'] ?? '').startsWith('application/problem+json')
    ? (JSON.parse(res.text) as Record<string, unknown>)
    : { notAProblem: res.text.slice(0, 200) };
  expect({ ...where, status: res.status, body }).toEqual({
    ...where,
    status,
    body: expect.objectContaining({
      status,
      type: code === undefined ? expect.stringMatching(/^urn:aquifer:problem:/) : `urn:aquifer:problem:${code}`,
      request_id: res.headers['x-request-id'],
    }),
  });
}

it('finds the routes that take a body', () => {
  const routes = bodyRoutes();
  figures.routes = routes.length;
  expect(routes.map(([r, m]) => `${m} ${r}`)).toEqual(
    expect.arrayContaining(['post /api/v1/wells', 'patch /api/v1/wells/{id}', 'post /api/v1/observations/bulk']),
  );
});

describe.each([['every JSON body route', true] as const, ['the bulk upload route', false] as const])(
  '%s',
  (_label, json) => {
    const routes = () => {
      const these = bodyRoutes().filter(([, , , types]) => types.includes('application/json') === json);
      // Every test below loops over these: none would mean nothing was tested.
      if (these.length === 0) throw new Error(`no route takes ${json ? 'JSON' : 'CSV/NDJSON'} bodies`);
      return these;
    };
    const limit = json ? BODY_LIMIT : BULK_LIMIT;
    const bigBody = (type: string) =>
      type === 'application/json'
        ? JSON.stringify({ name: 'x'.repeat(limit + 1) })
        : type === 'text/csv'
          ? `site_code,observed_at,depth_to_water_ft\n${'KS-LIMIT-1,2024-01-01T00:00:00Z,1\n'.repeat(limit / 30)}`
          : '{"site_code":"KS-LIMIT-1","observed_at":"2024-01-01T00:00:00Z","depth_to_water_ft":1}\n'.repeat(
              limit / 80,
            );

    it('answers 413 for a body over the limit, declared or streamed', async () => {
      for (const [route, method, path, types] of routes()) {
        for (const type of types) {
          const declared = await send(method, path, type, bigBody(type));
          expectProblemOf({ route, type, sent: 'declared' }, declared, 413, 'payload-too-large');
          // Streamed in 1 KB chunks without a Content-Length: refused once the count passes the limit.
          const text = bigBody(type);
          const chunks = Array.from({ length: Math.ceil(text.length / 1024) }, (_, i) =>
            text.slice(i * 1024, (i + 1) * 1024),
          );
          const streamed = await send(method, path, type, chunks);
          expectProblemOf({ route, type, sent: 'chunked' }, streamed, 413, 'payload-too-large');
        }
      }
    });

    const MALFORMED: readonly (readonly [string, string | Buffer])[] = json
      ? [
          ['cut short', '{"name": "x",'],
          ['trailing garbage', '{"name": "x"} and more'],
          ['single quotes', "{'name': 'x'}"],
          ['a bare word', 'undefined'],
          ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
          // Otherwise decoded to U+FFFD and stored: JSON is UTF-8 (RFC 8259), so the body is malformed.
          [
            'invalid UTF-8 inside a string',
            Buffer.from([...Buffer.from('{"name": "x'), 0xc3, 0x28, ...Buffer.from('"}')]),
          ],
          ['NaN', '{"latitude": NaN}'],
          ['a comment', '{"name": "x" /* y */}'],
          ['empty', ''],
        ]
      : [
          ['an unterminated quote', 'site_code,observed_at,depth_to_water_ft\nKS-LIMIT-1,"2024-01-01T00:00:00Z,1\n'],
          ['an NDJSON line cut short', '{"site_code":"KS-LIMIT-1","observed_at":'],
          ['invalid UTF-8', Buffer.from([0x73, 0x69, 0x74, 0x65, 0xff, 0xfe, 0x0a])],
          // Good rows but for one byte in a free-text field, which the decoder alone would store as U+FFFD.
          [
            'CSV with invalid UTF-8 inside a field',
            Buffer.from([
              ...Buffer.from('site_code,observed_at,depth_to_water_ft,notes\nKS-LIMIT-1,2024-03-01T00:00:00Z,1,x'),
              0xc3,
              0x28,
              0x0a,
            ]),
          ],
          [
            'NDJSON with invalid UTF-8 inside a string',
            Buffer.from([
              ...Buffer.from(
                '{"site_code":"KS-LIMIT-1","observed_at":"2024-03-02T00:00:00Z","depth_to_water_ft":1,"notes":"x',
              ),
              0xc3,
              0x28,
              ...Buffer.from('"}\n'),
            ]),
          ],
        ];

    it.each(MALFORMED)('answers 400 for a body that does not parse: %s', async (_what, body) => {
      for (const [route, method, path, types] of routes()) {
        for (const type of types) {
          const res = await send(method, path, type, body);
          expectProblemOf({ route, type }, res, 400, json && body !== '' ? 'malformed-json' : undefined);
        }
      }
    });

    it('answers 415 for a body of another type, charset or encoding', async () => {
      const wrong = [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'image/png',
        json ? 'text/csv' : 'application/json',
        ...(json ? ['application/json; charset=latin1'] : []),
      ];
      for (const [route, method, path, types] of routes()) {
        const good = types[0] as string;
        const cases: [string | null, Record<string, string>][] = [
          ...wrong.map((type): [string, Record<string, string>] => [type, {}]),
          // A body without any Content-Type at all.
          [null, {}],
          ...(json ? [[good, { 'Content-Encoding': 'bogus' }] as [string, Record<string, string>]] : []),
        ];
        for (const [type, extra] of cases) {
          const res = await send(method, path, type, '{"name":"x"}', extra);
          expectProblemOf({ route, type, extra }, res, 415, 'unsupported-media-type');
        }
      }
    });
  },
);

describe('the HTTP layer', () => {
  /** One raw request on a fresh socket; the status line and whether the socket closed after it. */
  function raw(text: string) {
    return new Promise<{ status: number; closed: boolean }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'GET',
        path: text,
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, closed: res.headers.connection === 'close' }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses headers or a URL over 16 KB with 431, and serves the next request', async () => {
    const bigHeader = await request(server).get('/livez').set('X-Filler', 'x'.repeat(20_000));
    count(bigHeader.status);
    expect(bigHeader.status).toBe(431);
    const bigUrl = await raw(`/api/v1/wells?county=${'x'.repeat(20_000)}`);
    count(bigUrl.status);
    expect(bigUrl.status).toBe(431);
    // Just under the limit is an ordinary request (here a validation error).
    const underLimit = await request(server).get(`/api/v1/wells?county=${'x'.repeat(8_000)}`);
    count(underLimit.status);
    expectProblem(underLimit, 400, 'validation-failed');
    const after = await request(server).get('/api/v1/wells?limit=1');
    count(after.status);
    expect(after.status).toBe(200);
  });
});

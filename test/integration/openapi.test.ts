import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Express } from 'express';
import type Joi from 'joi';
import request from 'supertest';
import { apiEndpoints } from '../../server/api';
import { BULK_EXAMPLES } from '../../server/bulk/routes';
import type { Endpoint } from '../../server/lib/endpoint';
import { normalizePayload } from '../../server/lib/normalize';
import { projectRoot } from '../../server/lib/project-root';
import { termsOf } from '../../server/lexicon/vocabularies';
import { bearer, issueKey } from '../support/api-keys';
import { buildTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectProblem } from '../support/problem-assertions';

jest.setTimeout(180_000);

type Json = Record<string, unknown>;
interface MediaType {
  schema: Json;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  operationId: string;
  description?: string;
  parameters?: { name: string; in: string; required: boolean; schema: Json }[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
  security?: Json[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

/** The validator is ESM-only and jest runs CommonJS, so it runs in a child node. */
function validateWithOpenApiSchema(doc: unknown): Promise<{ valid: boolean; version: string; errors: unknown }> {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(input));
    process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? null }));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: projectRoot() });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as { valid: boolean; version: string; errors: unknown });
      else reject(new Error(`validator exited ${code}: ${err}`));
    });
    child.stdin.end(JSON.stringify(doc));
  });
}

interface AjvValidate {
  (data: unknown): boolean;
  errors?: { keyword: string; instancePath: string; params: Json }[] | null;
}
interface Ajv2020 {
  compile(schema: Json): AjvValidate;
}

/** ajv 8 (JSON Schema 2020-12) comes with the validator package; load that copy, with its formats. */
function createAjv(): Ajv2020 {
  const fromValidator = createRequire(
    path.join(projectRoot(), 'node_modules/@seriousme/openapi-schema-validator/package.json'),
  );
  const Ajv = (fromValidator('ajv/dist/2020') as { default: new (opts: Json) => Ajv2020 }).default;
  const addFormats = (fromValidator('ajv-formats') as { default: (ajv: Ajv2020) => void }).default;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/** A schema from the document, compiled with the document's components so its $refs resolve. */
const compileIn = (ajv: Ajv2020, doc: Document, schema: Json): AjvValidate =>
  ajv.compile({ ...schema, components: doc.components });

/** On failure, shows where and ajv's errors rather than a bare `false`. */
const expectAccepted = (check: AjvValidate, value: unknown, where: string): void =>
  expect({ where, valid: check(value), errors: check.errors }).toEqual({ where, valid: true, errors: null });

/**
 * Every route the app mounts, read from Express's own router stack (not from
 * the Endpoint list) as "METHOD /openapi/{path}".
 */
function mountedRoutes(app: Express): Set<string> {
  interface Layer {
    rawPath?: unknown;
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  const found = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') found.add(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return new Set([...found].map((r) => r.replace(/:(\w+)/g, '{$1}')));
}

const operations = (doc: Document): [string, string, Operation][] =>
  Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.entries(item).map(([m, op]): [string, string, Operation] => [p, m, op]),
  );

const jsonBodyOperations = (doc: Document): [string, string, Operation][] =>
  operations(doc).filter(([, , op]) => op.requestBody?.content['application/json']);

/** What /docs offers a client to send: the media type's example, or each of its named examples. */
const requestExamples = (op: Operation): Json[] => {
  const media = op.requestBody?.content['application/json'];
  const values =
    media?.example !== undefined ? [media.example] : Object.values(media?.examples ?? {}).map((x) => x.value);
  return values as Json[];
};

describe('OpenAPI document and /docs', () => {
  let database: TestDatabase;
  let t: TestApp;
  let doc: Document;
  let endpoints: Endpoint[];
  let writeKey: string;

  beforeAll(async () => {
    database = await createTestDatabase('openapi');
    // Generous timeouts: the one database request here must not turn into a 503 on a loaded machine.
    t = buildTestApp(database.url, { acquireTimeoutMs: 30_000, statementTimeoutMs: 30_000 });
    endpoints = apiEndpoints(t.db, { readsRequireAuth: false, bulkMaxBytes: 1024, bulkStatementTimeoutMs: 1000 });
    const res = await request(t.app).get('/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body as Document;
    writeKey = await issueKey(database, 'write');
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  /** A request as a client holding a write key sends it. */
  const withWriteKey = (method: string, url: string) => {
    const client = request(t.app);
    return client[method as 'post'](url).set(...bearer(writeKey));
  };
  const createWell = (siteCode: string) =>
    withWriteKey('post', '/api/v1/wells').send({ site_code: siteCode, name: siteCode, latitude: 38, longitude: -101 });

  it('is served as cacheable JSON', async () => {
    const res = await request(t.app).get('/openapi.json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validateWithOpenApiSchema(doc);
    expect(result).toEqual({ valid: true, version: '3.1', errors: null });
  });

  it('documents every mounted route, and mounts every documented operation', () => {
    const mounted = mountedRoutes(t.app);
    const documented = new Set(operations(doc).map(([p, m]) => `${m.toUpperCase()} ${p}`));
    expect(mounted).toContain('GET /api/v1/wells/{id}');
    expect(mounted).toContain('GET /readyz');
    expect([...mounted].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !mounted.has(r))).toEqual([]);
  });

  it('has unique operation ids and declares exactly the path parameters of each path', () => {
    const ids = operations(doc).map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [p, , op] of operations(doc)) {
      const template = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((x) => x.in === 'path');
      expect({ op: op.operationId, params: declared.map((x) => x.name) }).toEqual({
        op: op.operationId,
        params: template,
      });
      for (const param of declared) expect(param.required).toBe(true);
    }
  });

  it('matches every Endpoint: path, method, operation id and scope', () => {
    for (const e of endpoints) {
      const op = doc.paths[`/api/v1${e.path.replace(/:(\w+)/g, '{$1}')}`]?.[e.method];
      expect(op?.operationId).toBe(e.operationId);
      const security = e.scope === 'read' ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }];
      expect({ op: e.operationId, security: op?.security }).toEqual({ op: e.operationId, security });
      for (const status of ['400', '401', '403', '503', ...(e.errors ?? []).map(String)]) {
        expect({ op: e.operationId, status, has: Boolean(op?.responses[status]) }).toEqual({
          op: e.operationId,
          status,
          has: true,
        });
      }
    }
  });

  it('lists the well_status vocabulary as the enum of the wells status filter', () => {
    const status = doc.paths['/api/v1/wells']?.get?.parameters?.find((p) => p.name === 'status');
    expect(status).toMatchObject({ in: 'query', required: false });
    expect(status?.schema.enum).toEqual([...termsOf('well_status')]);
    const limit = doc.paths['/api/v1/wells']?.get?.parameters?.find((p) => p.name === 'limit');
    expect(limit?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
  });

  it('gives every error response the Problem schema, which real problems satisfy', async () => {
    for (const [, , op] of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        expect(response.content?.['application/problem+json']?.schema).toEqual({
          $ref: '#/components/schemas/Problem',
        });
      }
    }
    const isProblem = compileIn(createAjv(), doc, { $ref: '#/components/schemas/Problem' });
    const notFound = await request(t.app).get('/api/v1/wells/999999');
    expectProblem(notFound, 404);
    const invalid = await request(t.app).get('/api/v1/wells?limit=0');
    expectProblem(invalid, 400);
    for (const body of [notFound.body, invalid.body])
      expect({ valid: isProblem(body), errors: isProblem.errors }).toEqual({ valid: true, errors: null });
    expect(isProblem({ title: 'no type' })).toBe(false);
  });

  it('describes JSON bodies that reject unknown properties, as the joi schemas do', () => {
    const ajv = createAjv();
    const jsonBodies = jsonBodyOperations(doc);
    expect(jsonBodies.length).toBeGreaterThan(0);
    for (const [, , op] of jsonBodies) {
      const schema = op.requestBody?.content['application/json']?.schema ?? {};
      const check = compileIn(ajv, doc, schema);
      expect(check({ ...requestExamples(op)[0], unexpected_property: 1 })).toBe(false);
      expect(check.errors).toContainEqual(
        expect.objectContaining({
          keyword: 'additionalProperties',
          params: { additionalProperty: 'unexpected_property' },
        }),
      );
    }
  });

  it('gives every JSON request body an example that both the document and joi accept', () => {
    const ajv = createAjv();
    const withBody = endpoints.filter((e) => e.body).map((e) => e.operationId);
    expect(jsonBodyOperations(doc).map(([, , op]) => op.operationId)).toEqual(withBody);
    for (const [, , op] of jsonBodyOperations(doc)) {
      const { operationId } = op;
      expect({ operationId, examples: requestExamples(op).length > 0 }).toEqual({ operationId, examples: true });
      const check = compileIn(ajv, doc, op.requestBody?.content['application/json']?.schema ?? {});
      const e = endpoints.find((x) => x.operationId === operationId);
      for (const body of requestExamples(op)) {
        expectAccepted(check, body, operationId);
        // joi sees the body after normalization, as mountEndpoints runs it.
        const normalized = normalizePayload(body, e?.normalize?.body ?? {});
        const error = (e?.body as Joi.Schema).validate(normalized).error?.message;
        expect({ operationId, error }).toEqual({ operationId, error: undefined });
        expect(check({ ...body, latitude: 'north' })).toBe(false);
      }
    }
  });

  it('answers every JSON request example, sent with a write key, with a documented 2xx', async () => {
    const ajv = createAjv();
    // Rows for path parameters, found by the collection segment before the parameter ("wells/{id}").
    const well = await createWell('FIXTURE-1');
    const contact = await withWriteKey('post', '/api/v1/contacts').send({ name: 'Fixture contact' });
    expect([well.status, contact.status]).toEqual([201, 201]);
    const fixtureIds: Record<string, number> = { wells: well.body.id as number, contacts: contact.body.id as number };
    const toUrl = (path: string) =>
      path.replace(/([^/]+)\/\{(\w+)\}/g, (_, collection: string, name: string) => {
        const id = fixtureIds[collection];
        if (id === undefined) throw new Error(`no fixture row for ${collection}/{${name}}: create one above`);
        return `${collection}/${id}`;
      });
    for (const [p, m, op] of jsonBodyOperations(doc)) {
      const { operationId } = op;
      expect({ operationId, examples: requestExamples(op).length > 0 }).toEqual({ operationId, examples: true });
      for (const body of requestExamples(op)) {
        const res = await withWriteKey(m, toUrl(p)).send(body);
        const ok = res.status >= 200 && res.status < 300;
        // The problem is part of the compared object so a failure shows what the app answered.
        expect({ operationId, ok, problem: ok ? undefined : (res.body as unknown) }).toEqual({ operationId, ok: true });
        expect(Object.keys(op.responses)).toContain(String(res.status));
        const schema = op.responses[String(res.status)]?.content?.['application/json']?.schema;
        if (schema) expectAccepted(compileIn(ajv, doc, schema), res.body, `${operationId} response`);
      }
    }
  });

  it('shows CSV and NDJSON examples for the bulk upload that the app accepts', async () => {
    const bulk = doc.paths['/api/v1/observations/bulk']?.post;
    const csv = BULK_EXAMPLES['text/csv'].split('\n');
    const ndjson = BULK_EXAMPLES['application/x-ndjson'].split('\n');
    const siteCodeColumn = csv[0]?.split(',').indexOf('site_code') ?? -1;
    const siteCodes = new Set([
      ...csv.slice(1).map((line) => line.split(',')[siteCodeColumn]),
      ...ndjson.map((line) => (JSON.parse(line) as { site_code: string }).site_code),
    ]);
    for (const siteCode of siteCodes) expect((await createWell(siteCode ?? '')).status).toBe(201);
    for (const [type, rows] of [
      ['text/csv', csv.length - 1],
      ['application/x-ndjson', ndjson.length],
    ] as const) {
      const text = BULK_EXAMPLES[type];
      expect(bulk?.requestBody?.content[type]).toBeDefined();
      expect(bulk?.description).toContain(`\`\`\`\n${text}\n\`\`\``);
      const res = await withWriteKey('post', '/api/v1/observations/bulk').set('Content-Type', type).send(text);
      expect({ type, status: res.status, body: res.body as unknown }).toEqual({
        type,
        status: 201,
        body: { inserted: rows },
      });
    }
  });

  it('documents normalized body fields as clients may send them, not in their canonical form', () => {
    for (const e of endpoints) {
      const op = doc.paths[`/api/v1${e.path.replace(/:(\w+)/g, '{$1}')}`]?.[e.method];
      const properties = op?.requestBody?.content['application/json']?.schema.properties as
        Record<string, Json> | undefined;
      for (const [key, kind] of Object.entries(e.normalize?.body ?? {})) {
        const property = properties?.[key];
        if (kind === 'timestamp')
          expect({ key, pattern: property?.pattern, format: property?.format }).toEqual({
            key,
            pattern: undefined,
            format: 'date-time',
          });
        if (kind === 'term')
          expect({ key, described: String(property?.description) }).toEqual({
            key,
            described: expect.stringMatching(/ignoring case/),
          });
      }
    }
  });

  it('has request examples that satisfy their own schemas', () => {
    const ajv = createAjv();
    const examples: [string, Json, unknown][] = [];
    for (const [p, m, op] of operations(doc)) {
      for (const param of op.parameters ?? []) {
        const example = (param as { example?: unknown }).example;
        if (example !== undefined) examples.push([`${m} ${p} ${param.name}`, param.schema, example]);
      }
      const body = op.requestBody?.content['application/json']?.schema.properties as Record<string, Json> | undefined;
      for (const [key, property] of Object.entries(body ?? {})) {
        for (const example of (property.examples as unknown[] | undefined) ?? [])
          examples.push([`${m} ${p} body.${key}`, property, example]);
      }
    }
    expect(examples.length).toBeGreaterThan(0);
    for (const [where, schema, example] of examples) {
      const check = compileIn(ajv, doc, schema);
      expect({ where, example, valid: check(example) }).toEqual({ where, example, valid: true });
    }
  });

  it('serves /docs as a page whose every asset is same-origin and answers', async () => {
    const page = await request(t.app).get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    const html = page.text;
    // No inline script: every <script> has a src and an empty body.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, content] of scripts) {
      expect(attrs).toMatch(/\ssrc="/);
      expect(content?.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers either
    const references = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(references.length).toBeGreaterThanOrEqual(3);
    const expectedType: Record<string, RegExp> = {
      js: /^(text|application)\/javascript/,
      css: /^text\/css/,
      png: /^image\/png/,
    };
    for (const ref of references) {
      expect(ref).toMatch(/^\/(?!\/)/); // same origin: an absolute path, never a scheme or //host
      const res = await request(t.app).get(ref);
      const ext = ref.split('.').pop() ?? '';
      expect({ ref, status: res.status, type: res.headers['content-type'] }).toEqual({
        ref,
        status: 200,
        type: expect.stringMatching(expectedType[ext] ?? /^$/),
      });
    }
  });

  it('points the page at /openapi.json and serves no other swagger-ui-dist file', async () => {
    const init = await request(t.app).get('/docs/assets/swagger-initializer.js').expect(200);
    expect(init.text).toContain('SwaggerUIBundle(');
    expect(init.text).not.toMatch(/petstore|https?:\/\//);
    const page = await request(t.app).get('/docs').expect(200);
    expect(page.text).toContain('content="/openapi.json"');
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const other of ['/docs/assets/index.html', '/docs/assets/package.json', '/docs/assets/../package.json']) {
      expectProblem(await request(t.app).get(other), 404);
    }
  });
});

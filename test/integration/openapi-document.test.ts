import request from 'supertest';
import type { Endpoint } from '../../server/lib/endpoint';
import { termsOf } from '../../server/lexicon/vocabularies';
import { useApiFixture } from '../support/api-fixture';
import {
  compileIn,
  createAjv,
  documentedEndpoints,
  fetchOpenApiDocument,
  jsonBodyOperations,
  mountedRoutes,
  operations,
  requestExamples,
  validateWithOpenApiSchema,
  type Document,
  type Json,
} from '../support/openapi-document';
import { expectProblem } from '../support/problem-assertions';

// The document itself and the /docs page that shows it; the examples it offers are sent in openapi-examples.test.ts.
jest.setTimeout(180_000);

describe('OpenAPI document and /docs', () => {
  // Generous timeouts: the few database requests here must not turn into a 503 on a loaded machine.
  const t = useApiFixture({ label: 'openapi_document', acquireTimeoutMs: 30_000, statementTimeoutMs: 30_000 });
  let doc: Document;
  let endpoints: Endpoint[];

  beforeAll(async () => {
    endpoints = documentedEndpoints(t.db);
    doc = await fetchOpenApiDocument(t.app);
  });

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

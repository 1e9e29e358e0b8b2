import type Joi from 'joi';
import request from 'supertest';
import { BULK_EXAMPLES } from '../../server/bulk/routes';
import type { Endpoint } from '../../server/lib/endpoint';
import { normalizePayload } from '../../server/lib/normalize';
import { bearer } from '../support/api-keys';
import { useApiFixture } from '../support/api-fixture';
import {
  compileIn,
  createAjv,
  documentedEndpoints,
  expectAccepted,
  fetchOpenApiDocument,
  jsonBodyOperations,
  operations,
  requestExamples,
  type Document,
  type Json,
} from '../support/openapi-document';

// The examples the document offers a client: each must be valid, and the JSON and bulk ones are sent through the app.
jest.setTimeout(180_000);

describe('OpenAPI document and /docs', () => {
  // Generous timeouts: the writes here must not turn into a 503 on a loaded machine.
  const t = useApiFixture({
    label: 'openapi_examples',
    acquireTimeoutMs: 30_000,
    statementTimeoutMs: 30_000,
    keys: ['write'],
  });
  let doc: Document;
  let endpoints: Endpoint[];

  beforeAll(async () => {
    endpoints = documentedEndpoints(t.db);
    doc = await fetchOpenApiDocument(t.app);
  });

  /** A request as a client holding a write key sends it. */
  const withWriteKey = (method: string, url: string) => {
    const client = request(t.app);
    return client[method as 'post'](url).set(...bearer(t.keys.write));
  };
  const createWell = (siteCode: string) =>
    withWriteKey('post', '/api/v1/wells').send({ site_code: siteCode, name: siteCode, latitude: 38, longitude: -101 });

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
});

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { apiEndpoints } from '../../server/api';
import type { Database } from '../../server/lib/db';
import type { Endpoint } from '../../server/lib/endpoint';
import { projectRoot } from '../../server/lib/project-root';

export type Json = Record<string, unknown>;
export interface MediaType {
  schema: Json;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
export interface Operation {
  operationId: string;
  description?: string;
  parameters?: { name: string; in: string; required: boolean; schema: Json }[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
  security?: Json[];
}
export interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

/** The document the app serves, as a client fetches it. */
export async function fetchOpenApiDocument(app: Express): Promise<Document> {
  const res = await request(app).get('/openapi.json');
  expect(res.status).toBe(200);
  return res.body as Document;
}

/** The Endpoints the document is generated from, to compare it with. */
export const documentedEndpoints = (db: Database): Endpoint[] =>
  apiEndpoints(db, { readsRequireAuth: false, bulkMaxBytes: 1024, bulkStatementTimeoutMs: 1000 });

/** The validator is ESM-only and jest runs CommonJS, so it runs in a child node. */
export function validateWithOpenApiSchema(doc: unknown): Promise<{ valid: boolean; version: string; errors: unknown }> {
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

export interface AjvValidate {
  (data: unknown): boolean;
  errors?: { keyword: string; instancePath: string; params: Json }[] | null;
}
export interface Ajv2020 {
  compile(schema: Json): AjvValidate;
}

/** ajv 8 (JSON Schema 2020-12) comes with the validator package; load that copy, with its formats. */
export function createAjv(): Ajv2020 {
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
export const compileIn = (ajv: Ajv2020, doc: Document, schema: Json): AjvValidate =>
  ajv.compile({ ...schema, components: doc.components });

/** On failure, shows where and ajv's errors rather than a bare `false`. */
export const expectAccepted = (check: AjvValidate, value: unknown, where: string): void =>
  expect({ where, valid: check(value), errors: check.errors }).toEqual({ where, valid: true, errors: null });

/**
 * Every route the app mounts, read from Express's own router stack (not from
 * the Endpoint list) as "METHOD /openapi/{path}".
 */
export function mountedRoutes(app: Express): Set<string> {
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

/** Every operation in the document as [path, method, operation]. */
export const operations = (doc: Document): [string, string, Operation][] =>
  Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.entries(item).map(([m, op]): [string, string, Operation] => [p, m, op]),
  );

export const jsonBodyOperations = (doc: Document): [string, string, Operation][] =>
  operations(doc).filter(([, , op]) => op.requestBody?.content['application/json']);

/** What /docs offers a client to send: the media type's example, or each of its named examples. */
export const requestExamples = (op: Operation): Json[] => {
  const media = op.requestBody?.content['application/json'];
  const values =
    media?.example !== undefined ? [media.example] : Object.values(media?.examples ?? {}).map((x) => x.value);
  return values as Json[];
};

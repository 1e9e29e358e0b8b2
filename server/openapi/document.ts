import type Joi from 'joi';
import { API_PREFIX, type Endpoint } from '../lib/endpoint';
import type { FieldKind, NormalizationSpec } from '../lib/normalize';
import { errorResponses, problemSchema } from './error-responses';
import { convert, describeJoi, SchemaComponents, type JoiDescription, type JsonSchema } from './joi-schema';
import { unversionedOperations } from './unversioned-routes';

export type OpenApiDocument = Record<string, unknown> & {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Record<string, unknown>>>;
};

export interface DocumentInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

const BEARER = { bearerAuth: [] };

/** Express `:name` segments become OpenAPI `{name}` templates. */
export const toOpenApiPath = (expressPath: string): string => expressPath.replace(/:(\w+)/g, '{$1}');

/** The `:name` parameters an Express path declares, in order. */
export const expressPathParams = (expressPath: string): string[] =>
  [...expressPath.matchAll(/:(\w+)/g)].map((m) => m[1] ?? '');

/** The whole document, from the same Endpoint objects that mount and validate the routes. */
export function buildOpenApiDocument(endpoints: readonly Endpoint[], info: DocumentInfo): OpenApiDocument {
  const components = new SchemaComponents();
  // Registered first so a joi schema labelled 'Problem' cannot take the name.
  components.register('Problem', problemSchema);
  const paths: OpenApiDocument['paths'] = {};
  const tags: string[] = [];
  const addOperation = (path: string, method: string, operation: Record<string, unknown>, tag: string) => {
    const item = (paths[path] ??= {});
    if (item[method]) throw new Error(`two operations for ${method.toUpperCase()} ${path}`);
    item[method] = operation;
    if (!tags.includes(tag)) tags.push(tag);
  };

  for (const e of endpoints) {
    addOperation(toOpenApiPath(API_PREFIX + e.path), e.method, endpointOperation(e, components), e.tag);
  }
  for (const u of unversionedOperations) {
    const [tag] = u.operation.tags as [string];
    addOperation(u.path, u.method, u.operation, tag);
  }

  return {
    openapi: '3.1.0',
    info,
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      schemas: components.toJSON(),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key. Writes need scope write; reads need scope read only when READS_REQUIRE_AUTH=true.',
        },
      },
    },
  };
}

function endpointOperation(e: Endpoint, components: SchemaComponents): Record<string, unknown> {
  const parameters = [
    ...pathParameters(e, components),
    ...queryParameters(e.query, e.normalize?.query ?? {}, components),
  ];
  const requestBody = endpointRequestBody(e, components);
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(e.responses)) {
    const schema = r.schema ? convert(describeJoi(r.schema), { components }) : undefined;
    responses[status] = {
      description: r.description,
      ...(schema && { content: { 'application/json': { schema } } }),
    };
  }
  Object.assign(responses, errorResponses(e.scope, [...(e.errors ?? []), ...implicitErrors(e)]));
  return {
    operationId: e.operationId,
    tags: [e.tag],
    summary: e.summary,
    ...(e.description !== undefined && { description: e.description }),
    ...(parameters.length > 0 && { parameters }),
    ...(requestBody && { requestBody }),
    responses,
    security: e.scope === 'read' ? [{}, BEARER] : [BEARER],
  };
}

/** Statuses the mounting code itself produces (server/lib/endpoint.ts, validate.ts), whatever the handler does. */
function implicitErrors(e: Endpoint): number[] {
  const out: number[] = [];
  if (e.body || e.rawBody) out.push(413, 415);
  // A value outside a vocabulary (joi `valid`, flag `only`) is a 422 unknown-term.
  const inputs = [e.params, e.query, e.body].filter((s): s is Joi.Schema => s !== undefined);
  if (inputs.some((s) => JSON.stringify(s.describe()).includes('"only":true'))) out.push(422);
  return out;
}

function pathParameters(e: Endpoint, components: SchemaComponents): Record<string, unknown>[] {
  const keys = e.params ? (describeJoi(e.params).keys ?? {}) : {};
  return expressPathParams(e.path).map((name) => {
    const d = keys[name];
    return parameter(name, 'path', true, d ? convert(d, { components }) : { type: 'string' });
  });
}

function queryParameters(
  query: Joi.Schema | undefined,
  spec: NormalizationSpec,
  components: SchemaComponents,
): Record<string, unknown>[] {
  if (!query) return [];
  const keys: Readonly<Record<string, JoiDescription>> = describeJoi(query).keys ?? {};
  return Object.entries(keys)
    .filter(([, d]) => d.flags?.presence !== 'forbidden')
    .map(([name, d]) => {
      const schema = asSent(convert(d, { components }), spec[name]);
      return parameter(name, 'query', d.flags?.presence === 'required', schema);
    });
}

/**
 * joi validates after normalization (server/lib/normalize.ts), so its schema
 * describes the canonical value; clients may send what normalization accepts.
 */
function asSent(schema: JsonSchema, kind: FieldKind | undefined): JsonSchema {
  if (kind === 'timestamp') {
    // Any zoned ISO 8601 instant is accepted; the pattern joi checks is the UTC form it becomes.
    const { pattern: _canonicalForm, ...rest } = schema;
    return { ...rest, format: 'date-time' };
  }
  if (kind === 'term' && schema.enum !== undefined) {
    const note = 'Matched ignoring case, spaces and underscores ("Steel Tape" = "steel-tape").';
    return { ...schema, description: typeof schema.description === 'string' ? `${schema.description}. ${note}` : note };
  }
  return schema;
}

function bodyAsSent(schema: JsonSchema, spec: NormalizationSpec): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return schema;
  return {
    ...schema,
    properties: Object.fromEntries(Object.entries(properties).map(([key, p]) => [key, asSent(p, spec[key])])),
  };
}

function parameter(name: string, where: 'path' | 'query', required: boolean, schema: JsonSchema) {
  // The description belongs to the parameter (where Swagger UI shows it), not to its schema.
  const { description, examples, ...rest } = schema;
  return {
    name,
    in: where,
    required,
    ...(typeof description === 'string' && { description }),
    schema: rest,
    ...(Array.isArray(examples) && examples.length > 0 && { example: examples[0] }),
  };
}

function endpointRequestBody(e: Endpoint, components: SchemaComponents): Record<string, unknown> | undefined {
  if (e.rawBody) {
    return {
      required: true,
      description: e.rawBody.description,
      content: Object.fromEntries(e.rawBody.contentTypes.map((type) => [type, { schema: rawBodySchema(type) }])),
    };
  }
  if (!e.body) return undefined;
  const d = describeJoi(e.body);
  // The whole-body example moves to the media type (where Swagger UI fills "Try it out" from), so it is stated once.
  const { examples: _onMediaType, ...schema } = bodyAsSent(convert(d, { components }), e.normalize?.body ?? {});
  return {
    required: d.flags?.presence === 'required',
    content: { 'application/json': { schema, ...mediaTypeExamples(d.examples ?? []) } },
  };
}

/** joi `.example()` values of a body schema: one is the media type's `example`; several become named `examples`. */
function mediaTypeExamples(examples: readonly unknown[]): Record<string, unknown> {
  if (examples.length === 0) return {};
  if (examples.length === 1) return { example: examples[0] };
  return { examples: Object.fromEntries(examples.map((value, i) => [`example${i + 1}`, { value }])) };
}

const TEXTUAL = /^text\/|[/+](json|x-ndjson|csv|xml)$/;
const rawBodySchema = (contentType: string): JsonSchema =>
  TEXTUAL.test(contentType) ? { type: 'string' } : { type: 'string', contentMediaType: contentType };

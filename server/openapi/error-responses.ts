import type { Scope } from '../auth/keys';
import { PROBLEM_CONTENT_TYPE } from '../lib/problem-middleware';
import type { JsonSchema } from './joi-schema';

/** The body problemMiddleware writes for every error (RFC 9457), as a component schema. */
export const problemSchema: JsonSchema = {
  type: 'object',
  description: 'An RFC 9457 problem. `type` is stable per error code; `request_id` matches the X-Request-Id header.',
  required: ['type', 'title', 'status', 'detail', 'instance'],
  properties: {
    type: { type: 'string', description: 'urn:aquifer:problem:<code>', examples: ['urn:aquifer:problem:not-found'] },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The request path' },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      description: 'One entry per offending field, when the problem is about specific fields',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', description: 'Where the problem is, e.g. body.site_code or query.limit' },
          message: { type: 'string' },
          line: { type: 'integer', minimum: 1, description: 'Line of a bulk upload the problem is on' },
        },
      },
    },
  },
};

export const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid request: a path parameter, query parameter or body field failed validation; `errors` names each one',
  401: 'Missing or invalid API key',
  403: 'The API key lacks the scope this operation needs',
  404: 'Not found',
  409: 'Conflicts with existing data',
  413: 'The body is larger than the configured limit',
  415: 'The body has a content type this operation does not accept',
  422: 'Unprocessable: an unknown vocabulary term (the message lists the allowed ones) or a reference to something that does not exist',
  500: 'Unexpected error; quote request_id when reporting it',
  503: 'Temporarily unavailable (database busy or unreachable, or the server is shutting down); retry after Retry-After seconds',
};

const READ_AUTH_NOTE = ' (only when the server runs with READS_REQUIRE_AUTH=true)';

const HEADERS: Readonly<Record<number, Record<string, unknown>>> = {
  401: { 'WWW-Authenticate': { description: 'The Bearer challenge', schema: { type: 'string' } } },
  503: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } } },
};

export function problemResponse(status: number, note = ''): Record<string, unknown> {
  const headers = HEADERS[status];
  return {
    description: (ERROR_DESCRIPTIONS[status] ?? 'Error') + note,
    ...(headers && { headers }),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } },
  };
}

/** Every error status an operation can answer: its own, plus the ones any validated, authorized route may. */
export function errorResponses(scope: Scope, documented: readonly number[] = []): Record<string, unknown> {
  const statuses = new Set<number>([400, 401, 403, 500, 503, ...documented]);
  const out: Record<string, unknown> = {};
  for (const status of [...statuses].sort((a, b) => a - b)) {
    const note = scope === 'read' && (status === 401 || status === 403) ? READ_AUTH_NOTE : '';
    out[String(status)] = problemResponse(status, note);
  }
  return out;
}

import { METRICS_PATH } from '../metrics/routes';
import { problemResponse } from './error-responses';

/**
 * The routes outside /api/v1 (server/health/routes.ts and this module's own),
 * described by hand: they take no input, so there is no joi schema to derive from.
 */
export interface UnversionedOperation {
  readonly method: 'get';
  readonly path: string;
  readonly operation: Record<string, unknown>;
}

const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });

const poolSchema = {
  type: 'object',
  required: ['max', 'total', 'idle', 'waiting', 'queueFullMs'],
  properties: {
    max: { type: 'integer', description: 'Connections this worker may open (its share of the budget)' },
    total: { type: 'integer', description: 'Connections open now' },
    idle: { type: 'integer', description: 'Open connections not in use' },
    waiting: { type: 'integer', description: 'Requests queued for a connection' },
    queueFullMs: {
      type: 'integer',
      description: 'How long the queue has been full (DB_MAX_QUEUE waiting), 0 when it is not',
    },
  },
};

export const DOCS_PATH = '/docs';
export const OPENAPI_PATH = '/openapi.json';

export const unversionedOperations: readonly UnversionedOperation[] = [
  {
    method: 'get',
    path: '/livez',
    operation: {
      operationId: 'getLiveness',
      tags: ['health'],
      summary: 'Liveness: the process is running',
      description: 'Never touches the database, so a database outage does not get every container restarted.',
      security: [],
      responses: {
        200: {
          description: 'Alive',
          content: json({
            type: 'object',
            required: ['status'],
            properties: { status: { const: 'ok' } },
          }),
        },
      },
    },
  },
  {
    method: 'get',
    path: '/readyz',
    operation: {
      operationId: 'getReadiness',
      tags: ['health'],
      summary: 'Readiness: this worker can serve requests',
      description:
        'Pings the database. A busy pool whose statements still succeed stays ready (`saturated: true`); ' +
        'a database that does not answer, or a worker shutting down, answers 503 so a load balancer stops sending work.',
      security: [],
      responses: {
        200: {
          description: 'Ready',
          content: json({
            type: 'object',
            required: ['status', 'saturated', 'pool'],
            properties: {
              status: { const: 'ready' },
              saturated: { type: 'boolean', description: 'The ping timed out behind queued requests' },
              pool: poolSchema,
            },
          }),
        },
        503: problemResponse(503),
      },
    },
  },
  {
    method: 'get',
    path: METRICS_PATH,
    operation: {
      operationId: 'getMetrics',
      tags: ['health'],
      summary: 'Prometheus metrics (admin key)',
      description:
        'Under the primary (npm start): every worker of this host, each series labelled with its worker. ' +
        'Under pm2: this instance only. METRICS_PORT serves the same without a key, for a scraper on a private network.',
      security: [{ bearerAuth: [] }],
      responses: {
        200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': {} } },
        401: problemResponse(401),
        403: problemResponse(403),
        503: problemResponse(503),
      },
    },
  },
  {
    method: 'get',
    path: OPENAPI_PATH,
    operation: {
      operationId: 'getOpenApiDocument',
      tags: ['docs'],
      summary: 'This OpenAPI 3.1 document',
      security: [],
      responses: {
        200: {
          description: 'The document, generated from the schemas that validate requests',
          content: json({ type: 'object' }),
        },
      },
    },
  },
  {
    method: 'get',
    path: DOCS_PATH,
    operation: {
      operationId: 'getDocsPage',
      tags: ['docs'],
      summary: 'Interactive documentation (Swagger UI) for this document',
      security: [],
      responses: {
        200: { description: 'An HTML page; its assets are served from /docs/assets/', content: { 'text/html': {} } },
      },
    },
  },
];

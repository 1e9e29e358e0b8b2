import express, { type Express } from 'express';
import type { ApiConfig } from '../config';
import { apiEndpoints, constraintHints } from './api';
import { createAuthorizer } from './auth/middleware';
import { healthRouter, type Lifecycle } from './health/routes';
import { corsMiddleware } from './lib/cors';
import type { Database } from './lib/db';
import { API_PREFIX, mountEndpoints } from './lib/endpoint';
import type { Logger } from './lib/logger';
import { metricsRouter } from './metrics/routes';
import { openApiRouter } from './openapi/routes';
import { problemMiddleware, routeNotFound } from './lib/problem-middleware';
import { requestEnvelope, type EnvelopeOptions } from './lib/request-envelope';
import { securityHeaders } from './lib/security-headers';

export interface AppDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  readonly bodyLimitBytes: number;
  readonly readinessTimeoutMs: number;
  /** 0: a full wait queue never fails readiness by itself. */
  readonly readinessFailWhenSaturatedMs: number;
  readonly api: ApiConfig;
  readonly metrics: {
    /** Records each request for the HTTP duration histogram. */
    readonly observeHttp: NonNullable<EnvelopeOptions['onRequestEnd']>;
    /** What GET /metrics answers with: the host's metrics, or this process's. */
    readonly scrape: () => Promise<string>;
  };
}

/** Builds the whole HTTP application. Never listens: the worker (or a test) does. */
export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Strong ETags hash every body; API clients here do not revalidate, so skip the cost.
  app.set('etag', false);

  app.use(
    requestEnvelope({
      logger: deps.logger,
      headers: securityHeaders(),
      isShuttingDown: () => deps.lifecycle.isShuttingDown(),
      onRequestEnd: deps.metrics.observeHttp,
    }),
  );
  // Mounted only when origins are configured: closed CORS costs no router layer at all.
  const cors = corsMiddleware(deps.api.cors);
  if (cors) app.use(cors);

  // The API first: it is nearly all of the traffic, and every router passed on the way costs time.
  const authorizer = createAuthorizer(deps.db, deps.api.readsRequireAuth);
  const endpoints = apiEndpoints(deps.db, deps.api);
  const api = express.Router();
  mountEndpoints(api, endpoints, { authorizer, bodyLimitBytes: deps.bodyLimitBytes });
  app.use(API_PREFIX, api);
  app.use(
    healthRouter(deps.db, deps.lifecycle, {
      timeoutMs: deps.readinessTimeoutMs,
      failWhenSaturatedMs: deps.readinessFailWhenSaturatedMs,
    }),
  );
  app.use(metricsRouter(authorizer, deps.metrics.scrape));
  app.use(openApiRouter(endpoints));

  app.use(routeNotFound);
  app.use(problemMiddleware(constraintHints));
  return app;
}

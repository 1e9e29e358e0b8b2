import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { healthRouter, type Lifecycle } from './health/routes';
import type { Database } from './lib/db';
import { UnsupportedMediaType } from './lib/errors';
import type { Logger } from './lib/logger';
import type { ConstraintHints } from './lib/problem';
import { problemMiddleware, routeNotFound } from './lib/problem-middleware';
import { requestLogging } from './lib/request-logging';
import { wellConstraintHints, wellsRouter } from './wells/routes';

export interface AppDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  readonly bodyLimitBytes: number;
  readonly readinessTimeoutMs: number;
}

const constraintHints: ConstraintHints = { ...wellConstraintHints };

const JSON_TYPES = ['application/json', 'application/*+json'];

/** A write with a body must send JSON; `req.is` is null when there is no body at all. */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  if ((req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') && req.is(JSON_TYPES) === false) {
    next(new UnsupportedMediaType('application/json'));
    return;
  }
  next();
};

/** Builds the whole HTTP application. Never listens: the worker (or a test) does. */
export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Strong ETags hash every body; API clients here do not revalidate, so skip the cost.
  app.set('etag', false);

  app.use(requestLogging(deps.logger));
  app.use(helmet());
  app.use((_req, res, next) => {
    // While draining, tell keep-alive clients not to reuse this socket.
    if (deps.lifecycle.isShuttingDown()) res.setHeader('Connection', 'close');
    next();
  });
  app.use(healthRouter(deps.db, deps.lifecycle, deps.readinessTimeoutMs));

  const api = express.Router();
  api.use(requireJsonBody, express.json({ limit: deps.bodyLimitBytes, type: JSON_TYPES, strict: true }));
  api.use('/wells', wellsRouter(deps.db));
  app.use('/api/v1', api);

  app.use(routeNotFound);
  app.use(problemMiddleware(constraintHints));
  return app;
}

/**
 * Baseline: Express 5 + pg with nothing else, the floor Express itself sets
 * under the app. It is built the way the app builds its Express app, minus
 * every production feature: the same two settings (no X-Powered-By, no ETag
 * hashing every body) and the route on an express.Router() mounted at
 * /api/v1, so a request walks the same kind of router stack; but no logging,
 * no security headers, no request id, no metrics, no auth and no validation
 * (the bench sends seeded ids only; a malformed one fails in PostgreSQL and
 * is a 503, as in the node:http baseline). So aquifer ÷ this is what the
 * app's features cost, and this ÷ Fastify what the framework costs.
 */
import express from 'express';
import http from 'node:http';
import { createBaselinePool, lookUpWell, runBaselineCluster } from './baseline-cluster';

runBaselineCluster(async (settings) => {
  const pool = createBaselinePool(settings, 'express');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const api = express.Router();
  api.get('/wells/:id', (req, res) => {
    // Sent the way the app sends JSON (sendJson: both headers known, then end), so this
    // baseline carries no cost the app has already removed: only the framework differs.
    const send = (status: number, body: string) => {
      res.statusCode = status;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
    };
    lookUpWell(pool, req.params.id, settings.preparedStatements).then(
      (body) => (body === null ? send(404, '{"status":404}') : send(200, body)),
      () => send(503, '{"status":503}'),
    );
  });
  app.use('/api/v1', api);
  // The app's worker serves its Express app from a node:http server too.
  const server = http.createServer(app);
  process.on('SIGTERM', () => {
    server.close();
    void pool.end().finally(() => process.exit(0));
  });
  await new Promise<void>((resolve) => server.listen(settings.port, '127.0.0.1', resolve));
});

import fs from 'node:fs';
import path from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import type { Endpoint } from '../lib/endpoint';
import { projectRoot } from '../lib/project-root';
import { DIST_ASSET_FILES, DOCS_ASSETS_PATH, docsPageHtml, INITIALIZER_FILE, INITIALIZER_JS } from './docs-page';
import { buildOpenApiDocument, type DocumentInfo } from './document';
import { DOCS_PATH, OPENAPI_PATH } from './unversioned-routes';

const DOCUMENT_MAX_AGE_S = 60;
const ASSET_MAX_AGE_S = 3_600;

function documentInfo(): DocumentInfo {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: string };
  return {
    title: 'aquifer',
    version: pkg.version ?? '0.0.0',
    description:
      'Groundwater-monitoring data: wells, water-level observations and contacts. Reads are public unless the ' +
      'server runs with READS_REQUIRE_AUTH=true; writes need an API key with scope write (`Authorization: Bearer <key>`). ' +
      'Every error is an RFC 9457 problem (application/problem+json).',
  };
}

/**
 * `GET /openapi.json` (built once per app, on first request: the endpoints never change while it
 * runs, and building it is a fifth of a worker's boot, which a crashed worker's replacement waits on)
 * and `GET /docs` with its assets.
 */
export function openApiRouter(endpoints: readonly Endpoint[]): Router {
  let documentJson: string | undefined;
  const pageHtml = docsPageHtml(OPENAPI_PATH);
  const router = Router();

  router.get(OPENAPI_PATH, (_req, res) => {
    res.setHeader('Cache-Control', `public, max-age=${DOCUMENT_MAX_AGE_S}`);
    documentJson ??= JSON.stringify(buildOpenApiDocument(endpoints, documentInfo()));
    res.type('application/json').send(documentJson);
  });
  router.get(DOCS_PATH, (_req, res) => {
    res.setHeader('Cache-Control', `public, max-age=${DOCUMENT_MAX_AGE_S}`);
    res.type('html').send(pageHtml);
  });
  // Middleware, not routes: static files are not API operations.
  router.use(DOCS_ASSETS_PATH, docsAssets());
  return router;
}

function docsAssets(): RequestHandler {
  const distDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const serveDist = express.static(distDir, { index: false, redirect: false, maxAge: ASSET_MAX_AGE_S * 1000 });
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    const file = req.path.slice(1);
    if (file === INITIALIZER_FILE) {
      res.setHeader('Cache-Control', `public, max-age=${DOCUMENT_MAX_AGE_S}`);
      res.type('text/javascript').send(INITIALIZER_JS);
      return;
    }
    if (!DIST_ASSET_FILES.has(file)) {
      next();
      return;
    }
    serveDist(req, res, next);
  };
}

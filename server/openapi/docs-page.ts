/**
 * The /docs page: our own HTML and initializer around swagger-ui-dist's files,
 * all same-origin. No inline script, because helmet's CSP allows only script-src 'self'.
 */

export const DOCS_ASSETS_PATH = '/docs/assets';

/** Our initializer, served under swagger-ui-dist's own name so the distribution's petstore one is never reachable. */
export const INITIALIZER_FILE = 'swagger-initializer.js';

/** The swagger-ui-dist files the page uses; nothing else from the package is served. */
export const DIST_ASSET_FILES: ReadonlySet<string> = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
]);

export const docsPageHtml = (openApiPath: string): string => `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>aquifer API</title>
    <meta name="openapi-document" content="${openApiPath}">
    <link rel="stylesheet" type="text/css" href="${DOCS_ASSETS_PATH}/swagger-ui.css">
    <link rel="icon" type="image/png" href="${DOCS_ASSETS_PATH}/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="${DOCS_ASSETS_PATH}/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="${DOCS_ASSETS_PATH}/${INITIALIZER_FILE}" charset="UTF-8"></script>
  </body>
</html>
`;

// Reads the document's address from the page's meta tag; validatorUrl null keeps the page from calling swagger.io.
export const INITIALIZER_JS = `'use strict';
window.addEventListener('load', function () {
  var meta = document.querySelector('meta[name="openapi-document"]');
  window.ui = SwaggerUIBundle({
    url: meta ? meta.getAttribute('content') : '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

import type { Response } from 'express';

/**
 * Sends `body` as JSON. Express's res.json re-parses and re-formats the
 * Content-Type on every call (to add the charset); here both headers are
 * known, so they are set as they are. Node drops the body of a HEAD response.
 */
export function sendJson(res: Response, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

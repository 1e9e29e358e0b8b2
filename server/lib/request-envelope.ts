import type { RequestHandler } from 'express';
import type { Logger } from './logger';
import { runInRequest, settleRequest, trackRequest } from './request-context';
import { requestIdFrom } from './request-id';
import { logAccess } from './request-logging';
import type { HeaderList } from './security-headers';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id: the caller's X-Request-Id when safe, else a new UUID; echoed in the response. */
    id?: string;
  }
}

export interface EnvelopeOptions {
  readonly logger: Logger;
  /** Set on every response (helmet's, recorded once). */
  readonly headers: HeaderList;
  /** While draining, keep-alive clients are told not to reuse the socket. */
  readonly isShuttingDown: () => boolean;
  /** Told of every request once its response is sent or abandoned ("aborted"), by route template. */
  readonly onRequestEnd?: (route: string, status: number | 'aborted', seconds: number) => void;
}

/**
 * Everything each request gets before routing, as one middleware rather than
 * five (every router layer is a measurable slice of a point lookup): its id,
 * the security headers, the request context for code deep in the request, and,
 * when the response closes, the access-log line and the HTTP histogram.
 */
export function requestEnvelope(opts: EnvelopeOptions): RequestHandler {
  const { logger, headers, isShuttingDown, onRequestEnd } = opts;
  return (req, res, next) => {
    const startedAt = performance.now();
    const id = requestIdFrom(req.headers['x-request-id']);
    req.id = id;
    res.setHeader('X-Request-Id', id);
    for (const [name, value] of headers) res.setHeader(name, value);
    if (isShuttingDown()) res.setHeader('Connection', 'close');
    const tracked = trackRequest(id);
    // 'close' follows 'finish' for every answered response, and also comes when the client went away first.
    res.once('close', () => {
      const ms = performance.now() - startedAt;
      const route = settleRequest(tracked);
      if (onRequestEnd) {
        // Route templates only: raw paths would make a series per well id.
        const template = route ?? (req.route ? `${req.method} ${req.baseUrl}${String(req.route.path)}` : 'unmatched');
        onRequestEnd(template, res.writableFinished ? res.statusCode : 'aborted', ms / 1000);
      }
      logAccess(logger, req, res, ms);
    });
    runInRequest(tracked, next);
  };
}

import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, RouteNotFound } from './errors';
import { toProblem, type ConstraintHints } from './problem';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem type URIs: stable identifiers, one per error code. */
export const problemType = (code: string): string => `urn:aquifer:problem:${code}`;

/** The one place any error becomes a response (RFC 9457 problem+json). */
export function problemMiddleware(hints: ConstraintHints): ErrorRequestHandler {
  // Express recognises error middleware by its four parameters, so `_next` must stay.
  return (err: unknown, req, res, _next) => {
    const problem = toProblem(err, hints);
    // Internal detail goes to the access log line (logAccess reads res.err), never to the client.
    if (!(err instanceof AppError) || problem.status >= 500) {
      (res as unknown as { err?: unknown }).err = withoutRequestBody(err);
    }
    if (res.headersSent) {
      // Too late for a problem body: end the socket so the client sees a failure, not a truncated 200.
      req.socket.destroy();
      return;
    }
    res.status(problem.status);
    if (problem.retryAfterS !== undefined) res.setHeader('Retry-After', String(problem.retryAfterS));
    for (const [name, value] of Object.entries(problem.headers ?? {})) res.setHeader(name, value);
    res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    res.end(
      JSON.stringify({
        type: problemType(problem.code),
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        instance: req.originalUrl.split('?')[0],
        request_id: req.id,
        ...(problem.errors && { errors: problem.errors }),
      }),
    );
  };
}

export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(new RouteNotFound(req.method, req.path.slice(0, 200)));
};

/**
 * body-parser hands back the whole request body on its errors (`body`, as text or bytes, up to the
 * body limit). That is the client's data and may be megabytes: the log keeps the cause without it.
 */
function withoutRequestBody(err: unknown): unknown {
  if (typeof err === 'object' && err !== null && 'body' in err) delete (err as { body?: unknown }).body;
  return err;
}

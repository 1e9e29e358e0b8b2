import type { Request, Response } from 'express';
import { PoolSaturatedError } from './errors';
import type { Logger } from './logger';

const PROBE_PATHS = new Set(['/livez', '/readyz']);

/** Where the problem middleware leaves an error whose detail belongs in the log (never in the body). */
export interface ResponseWithError {
  err?: unknown;
}

type Level = 'info' | 'warn' | 'error';

/**
 * By status: a 4xx whose cause is logged (a constraint hit, say) is still the client's fault.
 * `null`: no status reached the client (aborted); an error left behind then makes it an error.
 */
function levelOf(status: number | null, err: unknown): Level {
  // Shedding is the overload plan working, not a fault: at error it would flood the log exactly then.
  if (err instanceof PoolSaturatedError) return 'warn';
  if (status === null) return err === undefined ? 'warn' : 'error';
  if (status >= 500) return 'error';
  return status >= 400 ? 'warn' : 'info';
}

/** Our key format (the public prefix is kept: it names the key without being one). */
const API_KEY = /\b(aq_[0-9a-f]{16}_)[A-Za-z0-9_-]+/g;
/** Query parameters whose name says they carry a credential. */
const SECRET_PARAM = /([?&][^=&]*(?:token|key|secret|passw|auth|sig)[^=&]*=)[^&]*/gi;

/** The URL with credentials a client put in it replaced: the API never takes keys there, but clients try. */
export function withoutSecrets(url: string): string {
  return url.replace(API_KEY, '$1[redacted]').replace(SECRET_PARAM, '$1[redacted]');
}

/**
 * Writes the access-log line of one request: one plain object per request and
 * no per-request child logger (a child per request was a measurable part of a
 * point lookup's cost). Headers are not logged at all, so credentials and
 * cookies cannot leak; the logger also redacts them. Probes are not logged.
 */
export function logAccess(logger: Logger, req: Request, res: Response, responseTimeMs: number): void {
  // originalUrl: a router mounted below a prefix rewrites req.url for its own routes.
  const url = req.originalUrl;
  const query = url.indexOf('?');
  if (PROBE_PATHS.has(query < 0 ? url : url.slice(0, query))) return;
  const err = (res as ResponseWithError).err;
  // Not finished: the client left first, or the response was cut off (the socket destroyed after
  // the headers went out). No status reached the client then, whatever res.statusCode says.
  const status = res.writableFinished ? res.statusCode : null;
  const line = {
    reqId: req.id,
    req: {
      method: req.method,
      url: query < 0 && !url.includes('aq_') ? url : withoutSecrets(url),
      remote: req.socket.remoteAddress,
    },
    res: { status },
    responseTime: Math.round(responseTimeMs),
    ...(err !== undefined && { err }),
    ...(status === null && { aborted: true }),
  };
  const message =
    err !== undefined || (status ?? 0) >= 500
      ? 'request errored'
      : status === null
        ? 'request aborted'
        : 'request completed';
  logger[levelOf(status, err)](line, message);
}

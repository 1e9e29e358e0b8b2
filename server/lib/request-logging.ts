import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { PoolSaturatedError } from './errors';
import type { Logger } from './logger';
import { requestIdFrom } from './request-id';

const PROBE_PATHS = new Set(['/livez', '/readyz']);

/**
 * Access logging and request ids. The id comes from X-Request-Id when safe,
 * else a new UUID, and is echoed in the response. Headers are not logged at all,
 * so credentials and cookies cannot leak; the logger also redacts them.
 */
export function requestLogging(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const id = requestIdFrom(req.headers['x-request-id']);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    autoLogging: { ignore: (req: IncomingMessage) => PROBE_PATHS.has(req.url?.split('?')[0] ?? '') },
    customLogLevel(_req, res, err) {
      // Shedding is the overload plan working, not a fault: at error it would flood the log exactly then.
      // pino-http passes the error only when the response failed; ours sits on res.err (problem middleware).
      if ((err ?? (res as { err?: unknown }).err) instanceof PoolSaturatedError) return 'warn';
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({
        method: req.method,
        url: req.url,
        remote: req.remoteAddress,
      }),
      res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
    },
  });
}

import type { RequestHandler } from 'express';
import type { CorsConfig } from '../../config';

/** What a browser script may send beyond the CORS-safelisted headers. */
export const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, X-Request-Id';
/** Response headers a script may read beyond the safelisted ones: ids, retry hints, new resources, challenges. */
export const CORS_EXPOSE_HEADERS = 'X-Request-Id, Retry-After, Location, WWW-Authenticate';

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const READ_METHODS = ['GET', 'HEAD'] as const;

interface Grant {
  /** Access-Control-Allow-Origin: the origin itself, or `*` for a read open to any origin. */
  readonly allowOrigin: string;
  readonly methods: ReadonlySet<string>;
  readonly methodList: string;
}

/**
 * CORS, closed unless origins are configured: null then, and the app mounts
 * nothing, so a closed server pays nothing per request.
 *
 * Listed origins get every method; `*` gives any other origin reads (GET, HEAD)
 * only. Credentials (cookies) are never allowed: the API authenticates with a
 * Bearer key that the script sends itself, which needs no credentialed mode.
 * An origin not allowed gets no CORS header at all, and its preflight falls
 * through to the app as if CORS were closed, so the browser refuses it.
 */
export function corsMiddleware(config: CorsConfig | undefined): RequestHandler | null {
  const origins = config?.origins ?? [];
  const listed = new Set(origins.filter((o) => o !== '*'));
  const anyOriginReads = origins.includes('*');
  if (listed.size === 0 && !anyOriginReads) return null;
  const maxAge = String(config?.maxAgeS ?? 0);
  const allMethods = new Set<string>(ALL_METHODS);
  const readGrant: Grant = { allowOrigin: '*', methods: new Set(READ_METHODS), methodList: READ_METHODS.join(', ') };
  const grantFor = (origin: string): Grant | null => {
    if (listed.has(origin)) return { allowOrigin: origin, methods: allMethods, methodList: ALL_METHODS.join(', ') };
    return anyOriginReads ? readGrant : null;
  };

  return (req, res, next) => {
    // Every answer depends on Origin, so a shared cache must not serve one origin's answer to another.
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    const grant = origin === undefined ? null : grantFor(origin);
    if (grant === null) {
      next();
      return;
    }
    const requested = req.method === 'OPTIONS' ? req.headers['access-control-request-method'] : undefined;
    if (requested === undefined) {
      // An actual request (or a plain OPTIONS): readable by the script only if its method is granted.
      if (grant.methods.has(req.method)) {
        res.setHeader('Access-Control-Allow-Origin', grant.allowOrigin);
        res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS);
      }
      next();
      return;
    }
    // Matched as sent: browsers compare methods case-sensitively too.
    if (!grant.methods.has(requested)) {
      next();
      return;
    }
    // A preflight: answered here, before auth and routing (browsers send it without credentials).
    res.setHeader('Access-Control-Allow-Origin', grant.allowOrigin);
    res.setHeader('Access-Control-Allow-Methods', grant.methodList);
    res.setHeader('Access-Control-Allow-Headers', CORS_ALLOW_HEADERS);
    res.setHeader('Access-Control-Max-Age', maxAge);
    res.statusCode = 204;
    res.end();
  };
}

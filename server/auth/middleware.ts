import type { Request, RequestHandler } from 'express';
import type { Db } from '../lib/db';
import { Forbidden, Unauthorized } from '../lib/errors';
import { keyMatches, keyPrefix, scopeAllows, type Scope } from './keys';
import { findKeyByPrefix } from './queries';

/** Who made a request, once a key was checked. */
export interface Caller {
  readonly keyId: string;
  readonly keyName: string;
  readonly scope: Scope;
}

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

const REALM = 'Bearer realm="aquifer"';

/** RFC 6750 §3: a missing token gets the bare challenge; a bad one says invalid_token. */
const challenge = (detail: string, invalidToken: boolean): Unauthorized =>
  new Unauthorized(detail, invalidToken ? `${REALM}, error="invalid_token"` : REALM);

function bearerToken(req: Request): string | null | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return m?.[1] ?? null;
}

export interface Authorizer {
  /** Middleware admitting requests whose key holds `scope`; reads pass without a key unless configured. */
  require(scope: Scope): RequestHandler;
}

export function createAuthorizer(db: Db, readsRequireAuth: boolean): Authorizer {
  async function authenticate(req: Request): Promise<Caller> {
    const token = bearerToken(req);
    if (token === undefined) throw challenge('This request needs an API key: Authorization: Bearer <key>.', false);
    const prefix = token === null ? null : keyPrefix(token);
    if (token === null || prefix === null) throw challenge('The API key is malformed.', true);
    const row = await findKeyByPrefix(db, prefix);
    // Hash and compare even when no row matched, so timing does not reveal which prefixes exist.
    const matches = keyMatches(token, row?.key_hash ?? Buffer.alloc(32));
    if (!row || !matches || row.revoked_at !== null) throw challenge('The API key is not valid.', true);
    return { keyId: row.id, keyName: row.name, scope: row.scope };
  }

  return {
    require(scope) {
      return async (req, _res, next) => {
        if (scope === 'read' && !readsRequireAuth && req.headers.authorization === undefined) {
          next();
          return;
        }
        const caller = await authenticate(req);
        if (!scopeAllows(caller.scope, scope)) {
          throw new Forbidden(
            `This request needs an API key with the ${scope} scope.`,
            `${REALM}, error="insufficient_scope", scope="${scope}"`,
          );
        }
        req.caller = caller;
        next();
      };
    },
  };
}

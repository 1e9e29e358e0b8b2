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
  /**
   * Checks that the request's key holds `scope` and sets `req.caller`. Undefined when there is
   * nothing to check (an anonymous read while reads are open), so the common case costs no promise.
   */
  check(req: Request, scope: Scope): Promise<void> | undefined;
  /** The same check as middleware. */
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

  async function checkKey(req: Request, scope: Scope): Promise<void> {
    const caller = await authenticate(req);
    if (!scopeAllows(caller.scope, scope)) {
      throw new Forbidden(
        `This request needs an API key with the ${scope} scope.`,
        `${REALM}, error="insufficient_scope", scope="${scope}"`,
      );
    }
    req.caller = caller;
  }

  const check = (req: Request, scope: Scope): Promise<void> | undefined =>
    scope === 'read' && !readsRequireAuth && req.headers.authorization === undefined ? undefined : checkKey(req, scope);

  return {
    check,
    require: (scope) => (req, _res, next) => {
      const pending = check(req, scope);
      if (pending === undefined) next();
      else pending.then(() => next(), next);
    },
  };
}

import { isUtf8 } from 'node:buffer';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type Joi from 'joi';
import type { Authorizer } from '../auth/middleware';
import type { Scope } from '../auth/keys';
import { UnsupportedMediaType } from './errors';
import { normalizePayload, type NormalizationSpec } from './normalize';
import { setCurrentRoute } from './request-context';
import { validate } from './validate';

/**
 * One API operation: what it accepts, what it answers and who may call it.
 * The same object mounts the route (validating with its joi schemas) and
 * generates its part of the OpenAPI document, so the two cannot disagree.
 */
export interface Endpoint<P = unknown, Q = unknown, B = unknown> {
  readonly operationId: string;
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express syntax, relative to /api/v1: `/wells/:id`. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  /** Scope a key needs. `read` routes are open to anonymous callers unless READS_REQUIRE_AUTH. */
  readonly scope: Scope;
  readonly params?: Joi.ObjectSchema<P>;
  readonly query?: Joi.ObjectSchema<Q>;
  /** A JSON body, validated after normalization. */
  readonly body?: Joi.Schema<B>;
  readonly normalize?: { readonly body?: NormalizationSpec; readonly query?: NormalizationSpec };
  /** A non-JSON body the handler streams itself (bulk uploads); the content types it accepts. */
  readonly rawBody?: { readonly contentTypes: readonly string[]; readonly description: string };
  /** Success responses by status. `schema` absent means no body (e.g. 204). */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: Joi.Schema }>>;
  /** Error statuses this operation can answer with, besides 400/401/403/503 which any may. */
  readonly errors?: readonly number[];
  // Method syntax (bivariant) so endpoints with different input types fit in one list.
  handle(input: { params: P; query: Q; body: B }, req: Request, res: Response): Promise<void>;
}

/** Identity, for type inference of P, Q and B from the schemas. */
export const endpoint = <P, Q, B>(e: Endpoint<P, Q, B>): Endpoint<P, Q, B> => e;

export const API_PREFIX = '/api/v1';

export const JSON_TYPES = ['application/json', 'application/*+json'];

export interface MountOptions {
  readonly authorizer: Authorizer;
  readonly bodyLimitBytes: number;
}

/** A body was sent (Content-Length > 0 or chunked) whose type is not one of `types`. */
function requireContentType(types: readonly string[], expected: string): RequestHandler {
  return (req, _res, next) => {
    if (req.is([...types]) === false) {
      next(new UnsupportedMediaType(expected));
      return;
    }
    next();
  };
}

/**
 * JSON is UTF-8 (RFC 8259). Without this check the decoder turns invalid bytes into U+FFFD,
 * and the mangled text would be stored; instead the body is malformed JSON (400).
 */
function rejectInvalidUtf8(_req: unknown, _res: unknown, body: Buffer, encoding: string): void {
  if (encoding.toLowerCase() === 'utf-8' && !isUtf8(body)) {
    throw Object.assign(new Error('request body is not valid UTF-8'), { status: 400, type: 'entity.parse.failed' });
  }
}

/**
 * Mounts every endpoint on `router`: auth first (so no body is parsed for a caller who may not
 * send it), then the body. An endpoint without a body is one handler doing all of it: each extra
 * route handler is another pass through the router's dispatch, a measurable cost on a lookup.
 */
export function mountEndpoints(router: Router, endpoints: readonly Endpoint[], opts: MountOptions): void {
  const jsonBody = [
    requireContentType(JSON_TYPES, 'application/json'),
    express.json({ limit: opts.bodyLimitBytes, type: JSON_TYPES, strict: true, verify: rejectInvalidUtf8 }),
  ];
  const { authorizer } = opts;
  for (const e of endpoints) {
    const route = `${e.method.toUpperCase()} ${API_PREFIX}${e.path}`;
    const respond = async (req: Request, res: Response) => {
      const input = {
        params: e.params ? validate(e.params, req.params, 'params') : {},
        query: e.query ? validate(e.query, normalizeIf(req.query, e.normalize?.query, 'query'), 'query') : {},
        body: e.body ? validate(e.body, normalizeIf(req.body, e.normalize?.body, 'body'), 'body') : undefined,
      };
      await e.handle(input, req, res);
    };
    const body = e.rawBody
      ? [requireContentType(e.rawBody.contentTypes, e.rawBody.contentTypes.join(' or '))]
      : e.body
        ? jsonBody
        : undefined;
    if (body === undefined) {
      router[e.method](e.path, async (req, res) => {
        setCurrentRoute(route);
        const auth = authorizer.check(req, e.scope);
        if (auth !== undefined) await auth;
        await respond(req, res);
      });
      continue;
    }
    const nameAndAuthorize: RequestHandler = (req, _res, next) => {
      setCurrentRoute(route);
      const auth = authorizer.check(req, e.scope);
      if (auth === undefined) next();
      else auth.then(() => next(), next);
    };
    router[e.method](e.path, nameAndAuthorize, ...body, respond);
  }
}

const normalizeIf = (value: unknown, spec: NormalizationSpec | undefined, part: string): unknown =>
  spec ? normalizePayload(value, spec, part) : value;

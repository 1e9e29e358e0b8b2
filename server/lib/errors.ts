/**
 * The one error taxonomy. Handlers throw these; the error middleware turns any
 * thrown value into a problem via `toProblem` (server/lib/problem.ts).
 */

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** The public part of an error, before request-specific fields are added. */
export interface Problem {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly retryAfterS?: number;
  readonly errors?: readonly FieldError[];
  /** Response headers the problem requires, e.g. WWW-Authenticate on a 401. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface AppErrorOptions {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** false: the detail is for the logs only; clients get the title. */
  readonly expose?: boolean;
  readonly retryAfterS?: number;
  readonly errors?: readonly FieldError[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly expose: boolean;
  readonly retryAfterS: number | undefined;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(opts: AppErrorOptions) {
    super(opts.detail, { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.status = opts.status;
    this.title = opts.title;
    this.expose = opts.expose ?? opts.status < 500;
    this.retryAfterS = opts.retryAfterS;
    this.errors = opts.errors;
    this.headers = opts.headers;
  }

  toProblem(): Problem {
    return {
      code: this.code,
      status: this.status,
      title: this.title,
      detail: this.expose ? this.message : this.title,
      ...(this.retryAfterS !== undefined && { retryAfterS: this.retryAfterS }),
      ...(this.errors && { errors: this.errors }),
      ...(this.headers && { headers: this.headers }),
    };
  }
}

export class ValidationFailed extends AppError {
  constructor(errors: readonly FieldError[], detail = 'The request is not valid; see errors.') {
    super({ code: 'validation-failed', status: 400, title: 'Invalid request', detail, errors });
  }
}

/** A controlled-vocabulary field holds a term the lexicon does not have (see GET /api/v1/lexicon). */
export class UnknownTerm extends AppError {
  constructor(errors: readonly FieldError[]) {
    super({
      code: 'unknown-term',
      status: 422,
      title: 'Unprocessable content',
      detail: 'A value is not a known term; see errors for the allowed values.',
      errors,
    });
  }
}

/** 401; `challenge` is the WWW-Authenticate value every 401 must carry (RFC 9110 §11.6.1). */
export class Unauthorized extends AppError {
  constructor(detail: string, challenge: string) {
    super({
      code: 'unauthorized',
      status: 401,
      title: 'Unauthorized',
      detail,
      headers: { 'WWW-Authenticate': challenge },
    });
  }
}

export class Forbidden extends AppError {
  constructor(detail: string, challenge?: string) {
    super({
      code: 'forbidden',
      status: 403,
      title: 'Forbidden',
      detail,
      ...(challenge !== undefined && { headers: { 'WWW-Authenticate': challenge } }),
    });
  }
}

export class PayloadTooLarge extends AppError {
  constructor(limitBytes: number) {
    super({
      code: 'payload-too-large',
      status: 413,
      title: 'Payload too large',
      detail: `The request body is larger than the ${limitBytes} bytes allowed.`,
    });
  }
}

export class NotFound extends AppError {
  constructor(resource: string, id: string | number) {
    super({
      code: 'not-found',
      status: 404,
      title: 'Not found',
      detail: `${resource} ${String(id)} does not exist`,
    });
  }
}

export class RouteNotFound extends AppError {
  constructor(method: string, path: string) {
    super({
      code: 'route-not-found',
      status: 404,
      title: 'Not found',
      detail: `no route for ${method} ${path}`,
    });
  }
}

export class UnsupportedMediaType extends AppError {
  constructor(expected: string) {
    super({
      code: 'unsupported-media-type',
      status: 415,
      title: 'Unsupported media type',
      detail: `the request body must be ${expected}`,
    });
  }
}

export class ServiceUnavailable extends AppError {
  constructor(code: string, detail: string, retryAfterS?: number, cause?: unknown) {
    super({
      code,
      status: 503,
      title: 'Service unavailable',
      detail,
      expose: true,
      ...(retryAfterS !== undefined && { retryAfterS }),
      cause,
    });
  }
}

/**
 * Errors raised by the database module (server/lib/db.ts), which is the only
 * code that sees driver errors. They carry internal detail for the logs only.
 */
export class DatabaseQueryError extends Error {
  constructor(
    readonly sqlState: string,
    readonly internal: {
      readonly constraint?: string | undefined;
      readonly table?: string | undefined;
      readonly column?: string | undefined;
      readonly detail?: string | undefined;
      readonly routine?: string | undefined;
    },
    cause: unknown,
  ) {
    super(`database error ${sqlState}`, { cause });
    this.name = 'DatabaseQueryError';
  }
}

/** No pooled connection became free within the acquire timeout. */
export class PoolTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`no database connection free within ${waitedMs} ms`);
    this.name = 'PoolTimeoutError';
  }
}

/** Too many requests already wait for a connection: this one is turned away at once. */
export class PoolSaturatedError extends Error {
  constructor(readonly queued: number) {
    super(`${queued} requests already wait for a database connection`);
    this.name = 'PoolSaturatedError';
  }
}

/** The database could not be reached, or the connection broke mid-query. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown, message = 'database unavailable') {
    super(message, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * The client-side query timeout fired: the server did not cancel the statement
 * in time (behind PgBouncer, only the role's statement_timeout can). The
 * connection may still be running it, so it is discarded like a broken one.
 */
export class QueryTimeoutError extends DatabaseUnavailableError {
  constructor(cause: unknown) {
    super(cause, 'the database did not answer a statement within its client-side timeout');
    this.name = 'QueryTimeoutError';
  }
}

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
  readonly cause?: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly expose: boolean;
  readonly retryAfterS: number | undefined;
  readonly errors: readonly FieldError[] | undefined;

  constructor(opts: AppErrorOptions) {
    super(opts.detail, { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code;
    this.status = opts.status;
    this.title = opts.title;
    this.expose = opts.expose ?? opts.status < 500;
    this.retryAfterS = opts.retryAfterS;
    this.errors = opts.errors;
  }

  toProblem(): Problem {
    return {
      code: this.code,
      status: this.status,
      title: this.title,
      detail: this.expose ? this.message : this.title,
      ...(this.retryAfterS !== undefined && { retryAfterS: this.retryAfterS }),
      ...(this.errors && { errors: this.errors }),
    };
  }
}

export class ValidationFailed extends AppError {
  constructor(errors: readonly FieldError[], detail = 'The request is not valid; see errors.') {
    super({ code: 'validation-failed', status: 400, title: 'Invalid request', detail, errors });
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

/** The database could not be reached, or the connection broke mid-query. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('database unavailable', { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

import {
  AppError,
  DatabaseQueryError,
  DatabaseUnavailableError,
  PoolSaturatedError,
  PoolTimeoutError,
  QueryTimeoutError,
  type FieldError,
  type Problem,
} from './errors';

/** Public wording for a named constraint, so a 409 can say which field clashed without naming the constraint. */
export type ConstraintHints = Readonly<Record<string, FieldError>>;

const TRANSIENT_RETRY_AFTER_S = 1;
const UNAVAILABLE_RETRY_AFTER_S = 2;

const internal = (): Problem => ({
  code: 'internal',
  status: 500,
  title: 'Internal server error',
  detail: 'An unexpected error occurred; quote the request id when reporting it.',
});

/**
 * Turns anything thrown into the public part of a problem response. Total: an
 * unknown value always lands on the 500 default, never on a crash.
 */
export function toProblem(err: unknown, hints: ConstraintHints = {}): Problem {
  if (err instanceof AppError) return err.toProblem();
  if (err instanceof DatabaseQueryError) return fromSqlState(err, hints);
  if (err instanceof PoolTimeoutError) return busy('database-busy', 'All database connections are busy');
  if (err instanceof PoolSaturatedError)
    return busy('queue-full', 'The database is too busy to serve this request in time');
  if (err instanceof QueryTimeoutError) return queryTimeout;
  if (err instanceof DatabaseUnavailableError) return databaseUnavailable();
  const fromParser = fromBodyParser(err);
  if (fromParser) return fromParser;
  return internal();
}

/** This worker's pool cannot take the request now; another try a second later may succeed. */
const busy = (code: string, why: string): Problem => ({
  code,
  status: 503,
  title: 'Service unavailable',
  detail: `${why}; retry shortly.`,
  retryAfterS: TRANSIENT_RETRY_AFTER_S,
});

const databaseUnavailable = (): Problem => ({
  code: 'database-unavailable',
  status: 503,
  title: 'Service unavailable',
  detail: 'The database is unavailable; retry shortly.',
  retryAfterS: UNAVAILABLE_RETRY_AFTER_S,
});

/** Cancelled by the server (57014) or given up by the client: the same answer either way. */
const queryTimeout: Problem = Object.freeze({
  code: 'query-timeout',
  status: 503,
  title: 'Service unavailable',
  detail: 'The request took too long and was cancelled.',
});

/** SQLSTATE → HTTP (design.md §4). The final return is the default for every code not listed. */
export function fromSqlState(err: DatabaseQueryError, hints: ConstraintHints = {}): Problem {
  const code = err.sqlState;
  const constraint = err.internal.constraint;
  const hint = constraint !== undefined && Object.hasOwn(hints, constraint) ? hints[constraint] : undefined;
  const fieldErrors = hint ? { errors: [hint] } : {};

  if (code === '23505' || code === '23P01') {
    return {
      code: 'conflict',
      status: 409,
      title: 'Conflict',
      detail: 'The request conflicts with existing data.',
      ...fieldErrors,
    };
  }
  if (code === '23503') {
    // The server's detail says "is not present in table" when the request referred to a
    // missing row, and "is still referenced" when it tried to remove one in use.
    const missingReference = /is not present/.test(err.internal.detail ?? '');
    return missingReference
      ? {
          code: 'reference-not-found',
          status: 422,
          title: 'Unprocessable content',
          detail: 'The request refers to something that does not exist.',
          ...fieldErrors,
        }
      : {
          code: 'still-referenced',
          status: 409,
          title: 'Conflict',
          detail: 'Other data still refers to this resource.',
          ...fieldErrors,
        };
  }
  if (code === '23502' || code === '23514') {
    return {
      code: 'constraint-violation',
      status: 422,
      title: 'Unprocessable content',
      detail: 'A value is missing or outside what is allowed.',
      ...fieldErrors,
    };
  }
  if (code.startsWith('22')) {
    return {
      code: 'invalid-value',
      status: 400,
      title: 'Invalid request',
      detail: 'A value in the request is malformed or out of range.',
    };
  }
  if (code === '40001' || code === '40P01') {
    return {
      code: 'transient-conflict',
      status: 503,
      title: 'Service unavailable',
      detail: 'The request collided with concurrent work; retry it.',
      retryAfterS: TRANSIENT_RETRY_AFTER_S,
    };
  }
  if (code === '57014') return queryTimeout;
  if (code.startsWith('53')) {
    return {
      code: 'database-overloaded',
      status: 503,
      title: 'Service unavailable',
      detail: 'The database is out of resources; retry shortly.',
      retryAfterS: UNAVAILABLE_RETRY_AFTER_S,
    };
  }
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') {
    return databaseUnavailable();
  }
  return internal();
}

/** body-parser and http-errors set `type`/`status` on what they throw. */
function fromBodyParser(err: unknown): Problem | null {
  if (typeof err !== 'object' || err === null) return null;
  const { type, status } = err as { type?: unknown; status?: unknown };
  switch (type) {
    case 'entity.parse.failed':
      return {
        code: 'malformed-json',
        status: 400,
        title: 'Invalid request',
        detail: 'The request body is not valid JSON.',
      };
    case 'entity.too.large':
      return {
        code: 'payload-too-large',
        status: 413,
        title: 'Payload too large',
        detail: 'The request body is larger than allowed.',
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        code: 'unsupported-media-type',
        status: 415,
        title: 'Unsupported media type',
        detail: 'The request body uses an unsupported encoding or charset.',
      };
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return {
        code: 'bad-request',
        status: 400,
        title: 'Invalid request',
        detail: 'The request body could not be read.',
      };
  }
  // Other 4xx from http-errors: keep the status, not the message.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { code: 'bad-request', status, title: 'Invalid request', detail: 'The request could not be processed.' };
  }
  return null;
}

import {
  AppError,
  DatabaseQueryError,
  DatabaseUnavailableError,
  NotFound,
  PoolTimeoutError,
  RouteNotFound,
  ServiceUnavailable,
  UnsupportedMediaType,
  ValidationFailed,
  type FieldError,
  type Problem,
} from '../../server/lib/errors';
import { fromSqlState, toProblem, type ConstraintHints } from '../../server/lib/problem';

type Internal = DatabaseQueryError['internal'];

const UNIQUE: Internal = {
  constraint: 'wells_site_code_key',
  table: 'wells',
  column: 'site_code',
  detail: 'Key (site_code)=(KS-001) already exists.',
  routine: '_bt_check_unique',
};
const FK_MISSING: Internal = {
  constraint: 'observations_well_id_fkey',
  table: 'observations',
  column: 'well_id',
  detail: 'Key (well_id)=(9) is not present in table "wells".',
  routine: 'ri_ReportViolation',
};
const FK_IN_USE: Internal = { ...FK_MISSING, detail: 'Key (id)=(9) is still referenced from table "observations".' };

/** A query error as server/lib/db.ts builds it, with a driver error (and its stack and SQL) as the cause. */
const dbError = (sqlState: string, internal: Internal = UNIQUE): DatabaseQueryError => {
  const cause = Object.assign(new Error(`${internal.detail ?? ''} in SELECT * FROM wells WHERE site_code = $1`), {
    code: sqlState,
    ...internal,
  });
  return new DatabaseQueryError(sqlState, internal, cause);
};

const PROBLEM_KEYS = ['code', 'status', 'title', 'detail', 'retryAfterS', 'errors'];
const ALWAYS_SECRET = ['SELECT', 'wells_site_code_key', 'observations_well_id_fkey', 'site_code', 'well_id'];

/** The problem is the public face of an error: nothing internal may reach it. */
function expectNoLeak(problem: Problem, extraSecrets: readonly string[] = []): void {
  expect(Object.keys(problem).filter((k) => !PROBLEM_KEYS.includes(k))).toEqual([]);
  const json = JSON.stringify(problem);
  for (const secret of [...ALWAYS_SECRET, ...extraSecrets]) expect(json).not.toContain(secret);
  expect(json).not.toMatch(/\bat \S+ \(|:\d+:\d+\)|\.ts\b|node_modules/);
}

const secretsOf = (i: Internal): string[] =>
  [i.constraint, i.table, i.column, i.detail, i.routine].filter((s): s is string => s !== undefined);

interface SqlRow {
  sqlState: string;
  internal?: Internal;
  status: number;
  code: string;
  retry: boolean;
}

describe('toProblem / fromSqlState: SQLSTATE → HTTP (design §4)', () => {
  const rows: SqlRow[] = [
    { sqlState: '23505', status: 409, code: 'conflict', retry: false },
    { sqlState: '23P01', status: 409, code: 'conflict', retry: false },
    { sqlState: '23503', internal: FK_MISSING, status: 422, code: 'reference-not-found', retry: false },
    { sqlState: '23503', internal: FK_IN_USE, status: 409, code: 'still-referenced', retry: false },
    { sqlState: '23502', status: 422, code: 'constraint-violation', retry: false },
    { sqlState: '23514', status: 422, code: 'constraint-violation', retry: false },
    { sqlState: '22P02', status: 400, code: 'invalid-value', retry: false },
    { sqlState: '22003', status: 400, code: 'invalid-value', retry: false },
    { sqlState: '22007', status: 400, code: 'invalid-value', retry: false },
    { sqlState: '22008', status: 400, code: 'invalid-value', retry: false },
    { sqlState: '22001', status: 400, code: 'invalid-value', retry: false },
    { sqlState: '40001', status: 503, code: 'transient-conflict', retry: true },
    { sqlState: '40P01', status: 503, code: 'transient-conflict', retry: true },
    { sqlState: '53300', status: 503, code: 'database-overloaded', retry: true },
    { sqlState: '53100', status: 503, code: 'database-overloaded', retry: true },
    { sqlState: '57P01', status: 503, code: 'database-unavailable', retry: true },
    { sqlState: '57P02', status: 503, code: 'database-unavailable', retry: true },
    { sqlState: '57P03', status: 503, code: 'database-unavailable', retry: true },
    { sqlState: '08006', status: 503, code: 'database-unavailable', retry: true },
    { sqlState: '08001', status: 503, code: 'database-unavailable', retry: true },
    { sqlState: '57014', status: 503, code: 'query-timeout', retry: false },
    { sqlState: 'XX000', status: 500, code: 'internal', retry: false },
    { sqlState: '42P01', status: 500, code: 'internal', retry: false },
    { sqlState: '42601', status: 500, code: 'internal', retry: false },
    { sqlState: '99999', status: 500, code: 'internal', retry: false },
    { sqlState: '', status: 500, code: 'internal', retry: false },
  ];

  it.each(rows)('$sqlState ⇒ $status $code', ({ sqlState, internal = UNIQUE, status, code, retry }) => {
    const err = dbError(sqlState, internal);
    const problem = toProblem(err);
    expect(problem).toMatchObject({ status, code });
    expect(problem.retryAfterS !== undefined && problem.retryAfterS > 0).toBe(retry);
    expect(problem.errors).toBeUndefined();
    expect(fromSqlState(err)).toEqual(problem);
    expectNoLeak(problem, secretsOf(internal));
  });

  it('23503 without a detail defaults to still-referenced (409)', () => {
    const problem = toProblem(dbError('23503', { ...FK_MISSING, detail: undefined }));
    expect(problem).toMatchObject({ status: 409, code: 'still-referenced' });
    expectNoLeak(problem, secretsOf(FK_MISSING));
  });
});

describe('constraint hints', () => {
  const siteHint: FieldError = { path: 'body.siteCode', message: 'is already used by another well' };
  const wellHint: FieldError = { path: 'body.wellId', message: 'does not name an existing well' };
  const hints: ConstraintHints = { wells_site_code_key: siteHint, observations_well_id_fkey: wellHint };

  it.each<[string, DatabaseQueryError, ConstraintHints, FieldError[] | undefined]>([
    ['23505 with a hint', dbError('23505'), hints, [siteHint]],
    ['23P01 with a hint', dbError('23P01'), hints, [siteHint]],
    ['23503 missing reference with a hint', dbError('23503', FK_MISSING), hints, [wellHint]],
    ['23503 still referenced with a hint', dbError('23503', FK_IN_USE), hints, [wellHint]],
    ['23502 with a hint', dbError('23502'), hints, [siteHint]],
    ['23514 with a hint', dbError('23514'), hints, [siteHint]],
    ['23505 with no hint for its constraint', dbError('23505'), { other_key: siteHint }, undefined],
    ['23505 with no constraint', dbError('23505', { ...UNIQUE, constraint: undefined }), hints, undefined],
    ['22P02 never adds field errors', dbError('22P02'), hints, undefined],
    ['XX000 never adds field errors', dbError('XX000'), hints, undefined],
    // A constraint named like an Object.prototype member must not pick up the prototype's function.
    [
      'constraint "constructor" with no hints',
      dbError('23505', { ...UNIQUE, constraint: 'constructor' }),
      {},
      undefined,
    ],
    ['constraint "toString" with no hints', dbError('23514', { ...UNIQUE, constraint: 'toString' }), {}, undefined],
  ])('%s', (_name, err, h, errors) => {
    const problem = toProblem(err, h);
    expect(problem.errors).toEqual(errors);
    expectNoLeak(problem, secretsOf(err.internal));
  });
});

describe('pool and availability errors', () => {
  it.each<[string, unknown, number, string]>([
    ['PoolTimeoutError', new PoolTimeoutError(3000), 503, 'database-busy'],
    [
      'DatabaseUnavailableError',
      new DatabaseUnavailableError(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
      503,
      'database-unavailable',
    ],
  ])('%s ⇒ %i %s with retryAfterS', (_name, err, status, code) => {
    const problem = toProblem(err);
    expect(problem).toMatchObject({ status, code, retryAfterS: expect.any(Number) });
    expectNoLeak(problem, ['ECONNREFUSED', '127.0.0.1', '3000 ms']);
  });
});

describe('body-parser and http-errors', () => {
  const parserError = (type: string, status: number): Error =>
    Object.assign(new Error('Unexpected token S in JSON at position 0'), {
      type,
      status,
      statusCode: status,
      expose: true,
      body: 'SELECT * FROM wells',
    });

  it.each<[unknown, number, string]>([
    [parserError('entity.parse.failed', 400), 400, 'malformed-json'],
    [parserError('entity.too.large', 413), 413, 'payload-too-large'],
    [parserError('charset.unsupported', 415), 415, 'unsupported-media-type'],
    [parserError('encoding.unsupported', 415), 415, 'unsupported-media-type'],
    [parserError('request.aborted', 400), 400, 'bad-request'],
    [parserError('request.size.invalid', 400), 400, 'bad-request'],
    [{ type: 'entity.parse.failed' }, 400, 'malformed-json'],
    [{ type: 'entity.too.large' }, 413, 'payload-too-large'],
    [{ type: 'charset.unsupported' }, 415, 'unsupported-media-type'],
    [Object.assign(new Error('SELECT denied for site_code'), { status: 403 }), 403, 'bad-request'],
  ])('%p ⇒ %i %s', (err, status, code) => {
    const problem = toProblem(err);
    expect(problem).toMatchObject({ status, code });
    expectNoLeak(problem, ['Unexpected token', 'position 0']);
  });
});

describe('AppError subclasses', () => {
  const secret = 'SELECT * FROM wells failed on wells_site_code_key';

  it.each<[string, AppError, Partial<Problem>]>([
    ['NotFound', new NotFound('well', 9), { status: 404, code: 'not-found', detail: 'well 9 does not exist' }],
    ['RouteNotFound', new RouteNotFound('GET', '/nope'), { status: 404, code: 'route-not-found' }],
    ['UnsupportedMediaType', new UnsupportedMediaType('application/json'), { status: 415 }],
    [
      'ValidationFailed',
      new ValidationFailed([{ path: 'body.depth', message: 'must be a number' }]),
      { status: 400, code: 'validation-failed', errors: [{ path: 'body.depth', message: 'must be a number' }] },
    ],
    [
      'ServiceUnavailable (exposed)',
      new ServiceUnavailable('draining', 'The server is shutting down.', 5, new Error(secret)),
      { status: 503, code: 'draining', detail: 'The server is shutting down.', retryAfterS: 5 },
    ],
    [
      '500 with default expose hides its message',
      new AppError({ code: 'boom', status: 500, title: 'Internal server error', detail: secret }),
      { status: 500, code: 'boom', detail: 'Internal server error' },
    ],
    [
      '502 with default expose hides its message',
      new AppError({ code: 'upstream', status: 502, title: 'Bad gateway', detail: secret }),
      { status: 502, detail: 'Bad gateway' },
    ],
    [
      '4xx with expose: false hides its message',
      new AppError({ code: 'nope', status: 400, title: 'Invalid request', detail: secret, expose: false }),
      { status: 400, detail: 'Invalid request' },
    ],
  ])('%s keeps its status', (_name, err, expected) => {
    const problem = toProblem(err);
    expect(problem).toMatchObject(expected);
    expectNoLeak(problem, [secret]);
  });
});

describe('anything else thrown ⇒ 500 internal', () => {
  const stackful = new Error('relation "wells" does not exist: SELECT * FROM wells');
  const rawPgError = Object.assign(new Error('duplicate key value violates unique constraint'), {
    name: 'DatabaseError',
    code: '23505',
    ...UNIQUE,
  });

  it.each<[string, unknown]>([
    ['a string', 'SELECT * FROM wells'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a symbol', Symbol('wells')],
    ['a plain object', { message: 'SELECT * FROM wells', table: 'wells', constraint: 'wells_site_code_key' }],
    ['a plain object with a 5xx status', { status: 502, message: 'SELECT' }],
    ['an Error', stackful],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'site_code')")],
    ['a raw pg DatabaseError that escaped wrapping', rawPgError],
  ])('%s', (_name, err) => {
    const problem = toProblem(err);
    expect(problem).toEqual({
      code: 'internal',
      status: 500,
      title: 'Internal server error',
      detail: expect.stringContaining('request id'),
    });
    expectNoLeak(problem, ['wells', 'does not exist', 'duplicate key', 'Cannot read']);
  });
});

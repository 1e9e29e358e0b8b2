/**
 * The only module that imports `pg`. Everything else sees `Db`, plain rows and
 * the typed errors from ./errors, never a driver object or driver error.
 */
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import type { Database, Db, PoolOptions, Sql, TransactionOptions, Tx } from './db-types';
import {
  DatabaseQueryError,
  DatabaseUnavailableError,
  PoolSaturatedError,
  PoolTimeoutError,
  QueryTimeoutError,
} from './errors';
import { resizePool } from './pool-resize';
import { statementHook, timeStatement, type StatementHook } from './statement-timing';
import { shedGate } from './wait-estimate';

export type { Database, Db, PoolOptions, PoolStats, Sql, TransactionOptions, Tx } from './db-types';

/** Margin by which the client-side query timeout trails the server's statement_timeout. */
export const CLIENT_TIMEOUT_MARGIN_MS = 2_000;

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

/** Translates a driver error into our taxonomy; anything unrecognised passes through to the 500 default. */
export function translateError(err: unknown, acquireTimeoutMs: number): unknown {
  if (err instanceof pg.DatabaseError) {
    return new DatabaseQueryError(
      err.code ?? 'XX000',
      {
        constraint: err.constraint,
        table: err.table,
        column: err.column,
        detail: err.detail,
        routine: err.routine,
      },
      err,
    );
  }
  // Duck-typed, not `instanceof Error`: socket errors may come from another realm (jest's vm, for one).
  if (typeof err !== 'object' || err === null) return err;
  const { message, code } = err as { message?: unknown; code?: unknown };
  if (message === 'timeout exceeded when trying to connect') {
    return new PoolTimeoutError(acquireTimeoutMs);
  }
  // pg's own query_timeout (it trails statement_timeout, so the server did not cancel in time).
  if (message === 'Query read timeout') return new QueryTimeoutError(err);
  if (
    (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) ||
    (typeof message === 'string' && /^Connection terminated|not queryable/.test(message))
  ) {
    return new DatabaseUnavailableError(err);
  }
  return err;
}

interface Queryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
}

type BindOptions = Pick<PoolOptions, 'preparedStatements' | 'acquireTimeoutMs'> & {
  /** Per-query client-side timeout overriding the pool's (pg reads `query_timeout` from the query config). */
  readonly queryTimeoutMs?: number;
  readonly onStatement?: StatementHook;
};

function bindDb(target: Queryable, opts: BindOptions): Db {
  const run = async (sql: Sql): Promise<pg.QueryResult> => {
    const config: pg.QueryConfig & { query_timeout?: number } = {
      text: sql.text,
      values: sql.values as unknown[] | undefined,
      ...(opts.preparedStatements && sql.name !== undefined && { name: sql.name }),
      ...(opts.queryTimeoutMs !== undefined && { query_timeout: opts.queryTimeoutMs }),
    };
    try {
      return await target.query(config);
    } catch (err) {
      throw translateError(err, opts.acquireTimeoutMs);
    }
  };
  return {
    async one<T>(sql: Sql) {
      const { rows } = await run(sql);
      if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
      return rows[0] as T;
    },
    async maybeOne<T>(sql: Sql) {
      const { rows } = await run(sql);
      if (rows.length > 1) throw new Error(`expected at most one row, got ${rows.length}`);
      return (rows[0] as T | undefined) ?? null;
    },
    async many<T>(sql: Sql) {
      return (await run(sql)).rows as T[];
    },
    async exec(sql: Sql) {
      return (await run(sql)).rowCount ?? 0;
    },
  };
}

const RETRYABLE_TX_STATES = new Set(['40001', '40P01']);

function bindTx(client: pg.PoolClient, opts: BindOptions): Tx {
  return {
    ...bindDb({ query: (config) => timeStatement(config.text, () => client.query(config), opts.onStatement) }, opts),
    async copyFrom(copyText: string, source: Readable): Promise<number> {
      const copy = copyFromStdin(copyText);
      // pg-copy-streams lets pg's query_timeout wrap the COPY; it must outlast the whole upload.
      if (opts.queryTimeoutMs !== undefined) Object.assign(copy, { query_timeout: opts.queryTimeoutMs });
      client.query(copy);
      try {
        await pipeline(source, copy);
      } catch (err) {
        throw translateError(err, opts.acquireTimeoutMs);
      }
      return copy.rowCount;
    },
  };
}

/** A pooled connection's state while a request holds it. */
interface ConnectionUse {
  inUse: boolean;
  broken: Error | undefined;
  /** performance.now() at checkout. */
  since: number;
}

export function createDatabase(opts: PoolOptions): Database {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    application_name: opts.applicationName,
    max: opts.max,
    // pg's default of 0 waits forever; this is our acquire timeout.
    connectionTimeoutMillis: opts.acquireTimeoutMs,
    idleTimeoutMillis: opts.idleTimeoutMs,
    maxLifetimeSeconds: opts.maxLifetimeS,
    // Enforced by the client only; must trail statement_timeout so the server cancels first.
    query_timeout: opts.statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
    // PgBouncer refuses these startup parameters; behind it the role's settings apply instead.
    ...(!opts.transactionPooler && {
      statement_timeout: opts.statementTimeoutMs,
      // A transaction left idle as long as a statement may run has been abandoned.
      idle_in_transaction_session_timeout: opts.statementTimeoutMs,
    }),
    // So a statement whose worker died ends within the interval instead of running to its timeout
    // while still counted by max_connections. Sent as a startup option: no extra round trip.
    ...(!opts.transactionPooler &&
      opts.clientCheckIntervalMs &&
      opts.clientCheckIntervalMs > 0 && {
        options: `-c client_connection_check_interval=${opts.clientCheckIntervalMs}`,
      }),
  });
  // An idle client whose backend dies emits here; without a listener the worker would crash.
  pool.on('error', (err) => {
    opts.logger.warn({ err: translateError(err, opts.acquireTimeoutMs) }, 'idle database connection lost');
  });

  /**
   * Checks a client out for `fn` and always returns it. It goes back to the pool
   * unless the connection itself failed (it emitted an error, a query failed at
   * the connection level, or `fn` called `discard`). An ordinary SQL error or an
   * application error leaves the session usable, so it is kept: pool.query would
   * destroy it and pay for a new connection on every failed statement.
   */
  let lastSuccessAt = -Infinity;

  let queueFullSince: number | undefined;
  // pg-pool reads options.max on every checkout, so changing it resizes the pool live (design.md §2).
  const poolOptions = (pool as unknown as { options: { max: number } }).options;
  const currentMax = () => poolOptions.max;
  const gate = shedGate(pool, currentMax, opts);

  const onStatement = statementHook(opts.logger, opts.slowQueryMs, opts.observer);

  /**
   * Each connection's state while a request holds it. A checked-out client reports a dying
   * connection to itself, not to the pool, so each gets one listener for its whole life
   * (adding and removing one per checkout was a measurable cost); while idle, pg-pool's own
   * listener reports it through the pool's 'error' above.
   */
  const uses = new WeakMap<pg.PoolClient, ConnectionUse>();
  function checkedOut(client: pg.PoolClient) {
    let use = uses.get(client);
    if (use === undefined) {
      const state: ConnectionUse = { inUse: false, broken: undefined, since: 0 };
      client.on('error', (err: Error) => {
        if (!state.inUse) return;
        state.broken = err;
        opts.logger.warn({ err: translateError(err, opts.acquireTimeoutMs) }, 'database connection lost while in use');
      });
      uses.set(client, state);
      use = state;
    }
    use.inUse = true;
    use.broken = undefined;
    gate.checkedOut(use);
    return use;
  }

  async function withClient<T>(fn: (client: pg.PoolClient, discard: (why: Error) => void) => Promise<T>): Promise<T> {
    if (gate.full()) {
      queueFullSince ??= Date.now();
      opts.observer?.shed();
      throw new PoolSaturatedError(pool.waitingCount);
    }
    // This saturation episode is over; the next one starts its own clock.
    queueFullSince = undefined;
    const askedAt = performance.now();
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      const translated = translateError(err, opts.acquireTimeoutMs);
      if (translated instanceof PoolTimeoutError) {
        opts.observer?.acquireTimedOut(performance.now() - askedAt);
        gate.timedOut();
      }
      throw translated;
    }
    opts.observer?.acquired(performance.now() - askedAt);
    const use = checkedOut(client);
    try {
      const result = await fn(client, (why) => {
        use.broken = why;
      });
      lastSuccessAt = Date.now();
      return result;
    } catch (err) {
      // Only a failed connection is discarded; pg-pool also drops any client it finds unqueryable.
      if (translateError(err, opts.acquireTimeoutMs) instanceof DatabaseUnavailableError) {
        use.broken ??= err instanceof Error ? err : new Error('connection failed');
      }
      throw err;
    } finally {
      gate.returned(use);
      use.inUse = false;
      // While shrinking, a returned connection above the new size is closed rather than reused.
      client.release(use.broken ?? (pool.totalCount > currentMax() ? true : undefined));
    }
  }

  const db = bindDb(
    {
      query: (config) => withClient((client) => timeStatement(config.text, () => client.query(config), onStatement)),
    },
    opts,
  );

  const transactionOnce = <T>(fn: (tx: Tx) => Promise<T>, options: TransactionOptions): Promise<T> =>
    withClient(async (client, discard) => {
      const timeoutMs = options.statementTimeoutMs;
      const tx = bindTx(client, {
        ...opts,
        onStatement,
        ...(timeoutMs !== undefined && { queryTimeoutMs: timeoutMs + CLIENT_TIMEOUT_MARGIN_MS }),
      });
      await tx.exec({ text: 'BEGIN' });
      try {
        if (timeoutMs !== undefined) {
          await tx.exec({ text: "SELECT set_config('statement_timeout', $1, true)", values: [`${timeoutMs}ms`] });
        }
        const result = await fn(tx);
        await tx.exec({ text: 'COMMIT' });
        return result;
      } catch (err) {
        await tx.exec({ text: 'ROLLBACK' }).catch((rollbackErr: unknown) => {
          // The session may still be inside the transaction: never hand it to someone else.
          discard(rollbackErr instanceof Error ? rollbackErr : new Error('rollback failed'));
        });
        throw err;
      }
    });

  return {
    ...db,
    async withTransaction<T>(fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      try {
        return await transactionOnce(fn, options);
      } catch (err) {
        // Serialization failures and deadlocks are transient: retry once, then let them map to 503.
        const retry = options.retryTransient ?? true;
        if (retry && err instanceof DatabaseQueryError && RETRYABLE_TX_STATES.has(err.sqlState)) {
          return transactionOnce(fn, options);
        }
        throw err;
      }
    },
    async ping(timeoutMs: number): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`ping timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([db.exec({ text: 'SELECT 1' }), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    msSinceLastSuccess: () => Date.now() - lastSuccessAt,
    msQueueFull() {
      if (!gate.full()) {
        queueFullSince = undefined;
        return 0;
      }
      queueFullSince ??= Date.now();
      return Date.now() - queueFullSince;
    },
    resize: (max: number, timeoutMs: number) => resizePool(pool, poolOptions, max, timeoutMs),
    stats: () => ({
      max: currentMax(),
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    end: () => pool.end(),
  };
}

/**
 * Runs `fn` on one short-lived connection that is always closed afterwards.
 * For the primary's start-up work (budget, migrations) and for scripts.
 */
export async function withSingleConnection<T>(
  connectionString: string,
  applicationName: string,
  connectTimeoutMs: number,
  fn: (db: Db) => Promise<T>,
  {
    queryTimeoutMs = 0,
    preparedStatements = false,
  }: {
    /** Client-side limit per statement; 0 (the default) for none, e.g. for long migrations. */
    readonly queryTimeoutMs?: number;
    /** Send statements that have a name as named (prepared) ones. */
    readonly preparedStatements?: boolean;
  } = {},
): Promise<T> {
  const client = new pg.Client({
    connectionString,
    application_name: applicationName,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(queryTimeoutMs > 0 && { query_timeout: queryTimeoutMs }),
  });
  client.on('error', () => {
    // Reported through the failing query; the listener only keeps the process alive.
  });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw translateError(err, connectTimeoutMs);
  }
  try {
    return await fn(bindDb(client, { preparedStatements, acquireTimeoutMs: connectTimeoutMs }));
  } finally {
    await client.end().catch(() => undefined);
  }
}

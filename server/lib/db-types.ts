/**
 * The database module's types: what queries.ts modules, handlers and tests see.
 * No `pg` here; ./db is the only module that imports it.
 */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';

/** A parameterized statement. `name` makes it a prepared statement when those are enabled. */
export interface Sql {
  readonly name?: string;
  readonly text: string;
  readonly values?: readonly unknown[];
}

/** What queries.ts modules get: helpers named by how many rows they expect. */
export interface Db {
  /** Exactly one row, or throws. */
  one<T>(sql: Sql): Promise<T>;
  /** Zero or one row. */
  maybeOne<T>(sql: Sql): Promise<T | null>;
  many<T>(sql: Sql): Promise<T[]>;
  /** Runs a statement for its effect; returns the affected row count. */
  exec(sql: Sql): Promise<number>;
}

/** A transaction's handle: the row helpers plus streaming COPY. */
export interface Tx extends Db {
  /**
   * Streams `source` (COPY text format) into `COPY … FROM STDIN` with backpressure;
   * resolves with the rows copied. If `source` fails, the COPY is aborted (CopyFail)
   * and the promise rejects with the source's error.
   */
  copyFrom(copyText: string, source: Readable): Promise<number>;
}

export interface TransactionOptions {
  /** SET LOCAL statement_timeout for this transaction; the client-side timeout follows it. */
  readonly statementTimeoutMs?: number;
  /** Retry once on serialization failure or deadlock (default true). Off when `fn` consumes a stream. */
  readonly retryTransient?: boolean;
}

export interface PoolStats {
  readonly max: number;
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

export interface Database extends Db {
  withTransaction<T>(fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Resolves when `SELECT 1` succeeds within `timeoutMs`; rejects otherwise. */
  ping(timeoutMs: number): Promise<void>;
  /** Milliseconds since a pooled statement last succeeded (Infinity if none has). */
  msSinceLastSuccess(): number;
  stats(): PoolStats;
  /** How long the wait queue has been full (maxQueue waiting, or a wait past the acquire timeout expected) without a break; 0 when it is not full now. */
  msQueueFull(): number;
  /**
   * Changes the pool's size while it serves. Growing takes effect at once.
   * Shrinking closes idle connections now and busy ones as they are returned,
   * and resolves once no more than `max` are open (rejects after `timeoutMs`).
   */
  resize(max: number, timeoutMs: number): Promise<void>;
  end(): Promise<void>;
}

/** What the pool reports as it works: metrics subscribe here, so the db module knows nothing of them. */
export interface PoolObserver {
  /** A request got a connection after waiting `waitMs` (≈0 when one was idle). */
  acquired(waitMs: number): void;
  /** A request gave up waiting after the acquire timeout. */
  acquireTimedOut(waitMs: number): void;
  /** A request was turned away at once because the wait queue was full. */
  shed(): void;
  /** A statement ended after `durationMs`; `route` is the request's route template, if any. */
  statement(durationMs: number, route: string | undefined, failed: boolean): void;
}

export interface PoolOptions {
  readonly connectionString: string;
  readonly applicationName: string;
  readonly max: number;
  readonly acquireTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxLifetimeS: number;
  readonly preparedStatements: boolean;
  /** At most this many requests wait for a connection; one more is shed with PoolSaturatedError (so is one that would wait past the acquire timeout). */
  readonly maxQueue: number;
  /** Statements at least this slow are logged at warn, without their parameters; 0: off. */
  readonly slowQueryMs: number;
  /** Sets client_connection_check_interval (PostgreSQL 14+) on each connection; 0 or absent: not set. */
  readonly clientCheckIntervalMs?: number;
  /**
   * The URL is a transaction pooler (PgBouncer): no session state survives a transaction, so
   * no startup parameters are sent (statement_timeout and the rest come from the role's settings).
   */
  readonly transactionPooler?: boolean;
  readonly logger: Logger;
  readonly observer?: PoolObserver;
}

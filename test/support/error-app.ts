import express, { type Express } from 'express';
import type { Response } from 'supertest';
import { createDatabase, type Database, type Db } from '../../server/lib/db';
import type { Logger } from '../../server/lib/logger';
import { problemMiddleware } from '../../server/lib/problem-middleware';
import { requestEnvelope } from '../../server/lib/request-envelope';
import type { TestDatabase } from './database';
import { poolerOptions } from './env';

/** Tables whose constraints produce each SQLSTATE for real. Names start with dbe_ so a leak is easy to spot. */
export const ERROR_SCHEMA_SQL = `
  CREATE TABLE dbe_parent (id int PRIMARY KEY);
  CREATE TABLE dbe_child (
    parent_id int CONSTRAINT dbe_child_parent_fk REFERENCES dbe_parent (id),
    qty int NOT NULL CONSTRAINT dbe_child_qty_check CHECK (qty > 0),
    code text CONSTRAINT dbe_child_code_key UNIQUE);
  CREATE TABLE dbe_booking (during int4range,
    CONSTRAINT dbe_booking_no_overlap EXCLUDE USING gist (during WITH &&));
  CREATE TABLE dbe_late (parent_id int
    CONSTRAINT dbe_late_parent_fk REFERENCES dbe_parent (id) DEFERRABLE INITIALLY DEFERRED);
  CREATE TABLE dbe_tx_rows (label text NOT NULL);
  INSERT INTO dbe_parent VALUES (1);
  INSERT INTO dbe_child VALUES (1, 1, 'taken');
  INSERT INTO dbe_booking VALUES ('[1,5)');`;

export interface PoolShape {
  /** Becomes the application_name `aquifer:test-<name>`, to find the pool in pg_stat_activity. */
  readonly name: string;
  readonly max: number;
  readonly acquireTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
  /** Overrides the run's pooler mode: true sends no startup parameters (no server-side statement_timeout). */
  readonly transactionPooler?: boolean;
}

/** A real pool from the real db module. */
export function testPool(database: TestDatabase, logger: Logger, shape: PoolShape): Database {
  return createDatabase({
    connectionString: database.url,
    applicationName: `aquifer:test-${shape.name}`,
    max: shape.max,
    acquireTimeoutMs: shape.acquireTimeoutMs ?? 2_000,
    statementTimeoutMs: shape.statementTimeoutMs ?? 5_000,
    idleTimeoutMs: 10_000,
    maxLifetimeS: 0,
    ...poolerOptions(),
    ...(shape.transactionPooler !== undefined && { transactionPooler: shape.transactionPooler }),
    maxQueue: 1_000,
    slowQueryMs: 0,
    logger,
  });
}

export type Run = (db: Db) => Promise<unknown>;

/** Raises `code` from PL/pgSQL with the message 'boom', which must never reach a client. */
export const raise =
  (code: string): Run =>
  (db) => {
    // Interpolated, because DO blocks take no parameters; so only ever a well-formed SQLSTATE.
    if (!/^[0-9A-Z]{5}$/.test(code)) throw new Error(`not a SQLSTATE: ${code}`);
    return db.exec({ text: `DO $$ BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = '${code}'; END $$` });
  };

export const sql =
  (text: string): Run =>
  (db) =>
    db.exec({ text });

/** The real request logging and the real error middleware around GET /case/:name. */
export function errorApp(
  db: Database,
  logger: Logger,
  cases: Record<string, (db: Database) => Promise<unknown>>,
): Express {
  const app = express();
  app.use(requestEnvelope({ logger: logger, headers: [], isShuttingDown: () => false }));
  app.get('/case/:name', async (req, res) => {
    const run = cases[req.params.name];
    if (!run) throw new Error(`no case ${req.params.name}`);
    res.json({ result: await run(db) });
  });
  app.use(problemMiddleware({}));
  return app;
}

const LEAKS = [
  /boom/i,
  /DO \$\$|RAISE/i,
  /\b(SELECT|INSERT|DELETE|pg_sleep)\b/i,
  /dbe_|parent_id|qty/,
  /Key \(|violates|duplicate key|is not present in table|is still referenced/i,
  /\bat \S+ \(|\.ts:\d+|node_modules/,
];

/** Whatever the error, the body says nothing about the SQL, the schema, the stack or the SQLSTATE. */
export function expectNothingLeaked(res: Response, sqlState?: string): void {
  const body = JSON.stringify(res.body);
  for (const pattern of LEAKS) expect({ body, leaked: pattern.test(body) }).toEqual({ body, leaked: false });
  if (sqlState) expect(body).not.toContain(sqlState);
}

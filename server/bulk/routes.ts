import type { Request, Response } from 'express';
import Joi from 'joi';
import type { BulkLimits } from '../api';
import type { Database, Tx } from '../lib/db';
import { endpoint, type Endpoint } from '../lib/endpoint';
import { AppError, DatabaseQueryError, PayloadTooLarge, ValidationFailed } from '../lib/errors';
import { sendJson } from '../lib/respond';
import { CsvRowReader } from './parse-csv';
import { NdjsonRowReader } from './parse-ndjson';
import {
  analyzeStaging,
  copyIntoStaging,
  createStagingTable,
  findDuplicatesOfExisting,
  findDuplicatesWithinFile,
  findUnknownSiteCodes,
  insertStagedObservations,
} from './queries';
import type { RowError } from './rows';
import { MAX_REPORTED_ERRORS, UploadEncoder } from './upload-encoder';

const CSV = 'text/csv';
const NDJSON = 'application/x-ndjson';

/**
 * Example files for the operation's description: a raw body has no joi schema
 * to carry an example. The openapi test uploads both, so they stay valid.
 */
export const BULK_EXAMPLES: Readonly<Record<typeof CSV | typeof NDJSON, string>> = {
  [CSV]: [
    'site_code,observed_at,depth_to_water_ft,method,data_quality,observer,notes',
    'KS-FIN-0017,2024-01-09T09:20:00-06:00,162.35,steel-tape,approved,J. Alvarez,',
    'KS-FIN-0023,2024-01-09T11:05:00-06:00,171.8,electric-tape,approved,J. Alvarez,"Pump off at 10:30, level recovering"',
  ].join('\n'),
  [NDJSON]: [
    '{"site_code":"KS-FIN-0017","observed_at":"2025-01-14T09:10:00-06:00","depth_to_water_ft":163.02,"method":"steel-tape"}',
    '{"site_code":"KS-FIN-0023","observed_at":"2025-01-14T10:55:00-06:00","depth_to_water_ft":172.4,"observer":"J. Alvarez"}',
  ].join('\n'),
};

/** CommonMark fenced blocks, which /docs renders as code. */
const EXAMPLES_MARKDOWN = Object.entries(BULK_EXAMPLES)
  .map(([type, text]) => `Example (${type}):\n\n\`\`\`\n${text}\n\`\`\``)
  .join('\n\n');

class DuplicateObservations extends AppError {
  constructor(errors: readonly RowError[]) {
    super({
      code: 'duplicate-observations',
      status: 409,
      title: 'Conflict',
      detail: 'Some rows repeat a well and instant, in the file or already stored; nothing was written. See errors.',
      errors,
    });
  }
}

class WellsChanged extends AppError {
  constructor() {
    super({
      code: 'conflict',
      status: 409,
      title: 'Conflict',
      detail: 'Wells named in the file were deleted during the upload; nothing was written. Retry.',
    });
  }
}

const invalidFile = (errors: readonly RowError[]) =>
  new ValidationFailed(
    errors,
    `The file has errors; nothing was written. The first ${MAX_REPORTED_ERRORS} at most are listed in errors.`,
  );

class ClientAborted extends Error {
  constructor() {
    super('the client closed the connection before the upload ended');
    this.name = 'ClientAborted';
  }
}

/** Pipes the request into `encoder`. Never destroys `req`: an error response must still reach the client. */
function feedRequest(req: Request, encoder: UploadEncoder): void {
  // The COPY pipeline reports the encoder's error (it reads `errored`); this listener only
  // keeps an error raised before that pipeline starts from being an unhandled 'error' event.
  encoder.on('error', () => undefined);
  req.on('error', (err) => encoder.destroy(err));
  req.on('close', () => {
    if (!req.complete) encoder.destroy(new ClientAborted());
  });
  // A client gone while the key was being checked has already emitted 'close'; without
  // this the COPY would wait forever for a body that never comes, holding its connection.
  if (req.destroyed && !req.complete) {
    encoder.destroy(new ClientAborted());
    return;
  }
  req.pipe(encoder);
}

const UNIQUE_VIOLATION = '23505';

/**
 * Inserts the staged rows and says whether all of them went in. When not (a row repeats a well
 * and instant, in the file or already stored, or its well was deleted meanwhile), the insert is undone to a
 * savepoint, so the transaction is usable for the checks that explain it and they see no row of ours.
 */
async function insertedAll(tx: Tx, staged: number): Promise<boolean> {
  await tx.exec({ text: 'SAVEPOINT bulk_insert' });
  try {
    if ((await insertStagedObservations(tx)) === staged) return true;
  } catch (err) {
    if (!(err instanceof DatabaseQueryError && err.sqlState === UNIQUE_VIOLATION)) throw err;
  }
  await tx.exec({ text: 'ROLLBACK TO SAVEPOINT bulk_insert' });
  return false;
}

/** Checks the staged rows against the database; the errors, lines ascending, at most 100. */
async function checkStaged(tx: Tx): Promise<{ errors: RowError[]; onlyDuplicates: boolean }> {
  const unknown = (await findUnknownSiteCodes(tx)).map((r) => ({
    line: Number(r.line),
    path: 'site_code',
    message: `no well has site_code "${r.site_code}"`,
  }));
  const inFile = (await findDuplicatesWithinFile(tx)).map((r) => ({
    line: Number(r.line),
    path: 'observed_at',
    message: `line ${r.first_line} already has this site_code and observed_at`,
  }));
  const existing = (await findDuplicatesOfExisting(tx)).map((r) => ({
    line: Number(r.line),
    path: 'observed_at',
    message: 'an observation of this well at this instant already exists',
  }));
  const errors = [...unknown, ...inFile, ...existing].sort((a, b) => a.line - b.line).slice(0, MAX_REPORTED_ERRORS);
  return { errors, onlyDuplicates: unknown.length === 0 };
}

async function upload(db: Database, limits: BulkLimits, req: Request, res: Response): Promise<number> {
  const declared = Number(req.headers['content-length']);
  if (declared > limits.bulkMaxBytes) {
    // Refused before reading a byte: close the connection after the answer instead of draining the body.
    res.setHeader('Connection', 'close');
    throw new PayloadTooLarge(limits.bulkMaxBytes);
  }
  const reader = req.is(CSV) ? new CsvRowReader() : new NdjsonRowReader();
  const encoder = new UploadEncoder(reader, limits.bulkMaxBytes, Date.now());
  feedRequest(req, encoder);
  try {
    return await db.withTransaction(
      async (tx) => {
        await createStagingTable(tx);
        const copied = await copyIntoStaging(tx, encoder);
        if (encoder.errors.length > 0) throw invalidFile(encoder.errors);
        await analyzeStaging(tx);
        // Unknown site codes first (one cheap anti-join), so a file naming no well writes nothing.
        // Duplicates are left to the insert: the checks for those read the whole file twice over,
        // which a good file does not need, and the unique index stops at the first one anyway.
        const unknown = await findUnknownSiteCodes(tx);
        if (unknown.length === 0 && (await insertedAll(tx, copied))) return copied;
        // A duplicate (unique violation), or rows whose site_code matched no well: name them.
        const { errors, onlyDuplicates } = await checkStaged(tx);
        if (errors.length > 0) throw onlyDuplicates ? new DuplicateObservations(errors) : invalidFile(errors);
        // The checks found nothing: another upload or a deletion raced this one.
        throw new WellsChanged();
      },
      // The request stream is consumed once, so a failed transaction cannot be replayed.
      { statementTimeoutMs: limits.bulkStatementTimeoutMs, retryTransient: false },
    );
  } catch (err) {
    // Unread body left: close the connection after the answer rather than read the rest.
    if (!req.complete) res.setHeader('Connection', 'close');
    encoder.destroy();
    throw err;
  }
}

export function bulkEndpoints(db: Database, limits: BulkLimits): Endpoint[] {
  return [
    endpoint({
      operationId: 'uploadObservations',
      method: 'post',
      path: '/observations/bulk',
      tag: 'observations',
      summary: 'Upload many observations at once (CSV or NDJSON), all or nothing',
      description: [
        `Streams the body into the database; memory use does not grow with its size, which may be up to ${limits.bulkMaxBytes} bytes (413 beyond).`,
        'CSV (text/csv): a header row naming the columns, in any order: site_code, observed_at, depth_to_water_ft (required), method, data_quality, observer, notes; an empty field means "not given". RFC 4180 quoting; CRLF or LF.',
        'NDJSON (application/x-ndjson): one JSON object per line with the same keys; blank lines are ignored.',
        'Values are normalized as in the JSON API: observed_at needs a Z or an offset, numbers must be finite, terms are canonicalized (method defaults to unknown, data_quality to provisional).',
        'Either every row is inserted (201, {inserted}) or none. A bad file gets 400 validation-failed, an unknown site_code or term included;',
        'when the only problems are rows repeating a well and instant (within the file or already stored) it gets 409 duplicate-observations.',
        `Both list the first ${MAX_REPORTED_ERRORS} problems as errors: [{line, path, message}], line being the physical line in the file (1 = the CSV header).`,
        `\n\n${EXAMPLES_MARKDOWN}`,
      ].join(' '),
      scope: 'write',
      rawBody: { contentTypes: [CSV, NDJSON], description: 'CSV with a header row, or NDJSON' },
      responses: {
        201: {
          description: 'Every row was inserted',
          schema: Joi.object({ inserted: Joi.number().integer().min(0).required() }),
        },
      },
      errors: [409, 413, 415],
      async handle(_input, req, res) {
        const inserted = await upload(db, limits, req, res);
        sendJson(res, { inserted }, 201);
      },
    }),
  ];
}

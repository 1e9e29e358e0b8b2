import type { Db, Tx } from '../lib/db';
import type { Readable } from 'node:stream';
import { STAGING_COLUMNS } from './rows';

const STAGING = 'bulk_observations';
const REPORT_LIMIT = 100;

// Temporary and dropped at commit or rollback, so each upload sees only its own rows.
export const createStagingTable = (tx: Db) =>
  tx.exec({
    text: `CREATE TEMP TABLE ${STAGING} (
      line              bigint NOT NULL,
      site_code         text NOT NULL,
      observed_at       timestamptz(3) NOT NULL,
      depth_to_water_ft double precision NOT NULL,
      method            text NOT NULL,
      data_quality      text NOT NULL,
      observer          text,
      notes             text
    ) ON COMMIT DROP`,
  });

export const copyIntoStaging = (tx: Tx, source: Readable) =>
  tx.copyFrom(`COPY ${STAGING} (${STAGING_COLUMNS.join(', ')}) FROM STDIN`, source);

// Temporary tables get no autovacuum statistics; the checks below plan better with them.
export const analyzeStaging = (tx: Db) => tx.exec({ text: `ANALYZE ${STAGING}` });

export const findUnknownSiteCodes = (tx: Db) =>
  tx.many<{ line: string; site_code: string }>({
    text: `SELECT s.line, s.site_code FROM ${STAGING} s
           WHERE NOT EXISTS (SELECT 1 FROM wells w WHERE w.site_code = s.site_code)
           ORDER BY s.line LIMIT ${REPORT_LIMIT}`,
  });

/** Rows repeating an earlier row's well and instant, with the line they repeat. */
export const findDuplicatesWithinFile = (tx: Db) =>
  tx.many<{ line: string; first_line: string }>({
    text: `SELECT line, first_line FROM (
             SELECT line, min(line) OVER (PARTITION BY site_code, observed_at) AS first_line FROM ${STAGING}
           ) d
           WHERE line <> first_line
           ORDER BY line LIMIT ${REPORT_LIMIT}`,
  });

export const findDuplicatesOfExisting = (tx: Db) =>
  tx.many<{ line: string }>({
    text: `SELECT s.line FROM ${STAGING} s
           JOIN wells w ON w.site_code = s.site_code
           JOIN observations o ON o.well_id = w.id AND o.observed_at = s.observed_at
           ORDER BY s.line LIMIT ${REPORT_LIMIT}`,
  });

export const insertStagedObservations = (tx: Db) =>
  tx.exec({
    text: `INSERT INTO observations (well_id, observed_at, depth_to_water_ft, method, data_quality, observer, notes)
           SELECT w.id, s.observed_at, s.depth_to_water_ft, s.method, s.data_quality, s.observer, s.notes
           FROM ${STAGING} s JOIN wells w ON w.site_code = s.site_code`,
  });

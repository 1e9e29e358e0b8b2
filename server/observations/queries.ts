import type { Db } from '../lib/db';
import type { NewObservation } from './schema';

/** An observations row as pg returns it: bigint ids as strings, timestamptz as Date. */
export interface ObservationRow extends Omit<NewObservation, 'observed_at'> {
  id: string;
  well_id: string;
  observed_at: Date;
  created_at: Date;
}

const COLUMNS = 'id, well_id, observed_at, depth_to_water_ft, method, data_quality, observer, notes, created_at';

export interface ObservationWindow {
  /** Inclusive lower bound. */
  from: string | null;
  /** Exclusive upper bound. */
  to: string | null;
  /** Keyset position: the last observed_at already served. */
  after: string | null;
}

/**
 * One page of a well's observations in observed_at order, plus one row to tell
 * whether another page follows. Absent bounds become ±infinity, so one fixed
 * statement keeps every bound an index condition on (well_id, observed_at).
 */
export const listObservations = (db: Db, wellId: string, window: ObservationWindow, limit: number) =>
  db.many<ObservationRow>({
    name: 'observations.list',
    text: `SELECT ${COLUMNS} FROM observations
           WHERE well_id = $1
             AND observed_at >= coalesce($2::timestamptz, '-infinity')
             AND observed_at < coalesce($3::timestamptz, 'infinity')
             AND observed_at > coalesce($4::timestamptz, '-infinity')
           ORDER BY observed_at
           LIMIT $5`,
    values: [wellId, window.from, window.to, window.after, limit + 1],
  });

export const findObservation = (db: Db, id: string) =>
  db.maybeOne<ObservationRow>({
    name: 'observations.find',
    text: `SELECT ${COLUMNS} FROM observations WHERE id = $1`,
    values: [id],
  });

/** Inserts only when the well exists, so a missing well is null (404) rather than a foreign-key error. */
export const insertObservation = (db: Db, wellId: string, o: NewObservation) =>
  db.maybeOne<ObservationRow>({
    name: 'observations.insert',
    text: `INSERT INTO observations (well_id, observed_at, depth_to_water_ft, method, data_quality, observer, notes)
           SELECT w.id, $2, $3, $4, $5, $6, $7 FROM wells w WHERE w.id = $1
           RETURNING ${COLUMNS}`,
    values: [wellId, o.observed_at, o.depth_to_water_ft, o.method, o.data_quality, o.observer, o.notes],
  });

export const deleteObservation = (db: Db, id: string) =>
  db.exec({ name: 'observations.delete', text: 'DELETE FROM observations WHERE id = $1', values: [id] });

export interface WellSummaryRow {
  well_id: string;
  count: string;
  first_observed_at: Date | null;
  last_observed_at: Date | null;
  min_depth_ft: number | null;
  max_depth_ft: number | null;
  mean_depth_ft: number | null;
  trend_ft_per_year: number | null;
}

/** Seconds in a Julian year (365.25 days). */
const SECONDS_PER_YEAR = 31_557_600;

/**
 * Null when the well does not exist. An aggregate without GROUP BY always
 * yields one row, so an existing well with no observations gets count 0 and
 * nulls. regr_slope is null below two distinct instants. The aggregate reads
 * only (well_id, observed_at) INCLUDE (depth_to_water_ft): an index-only scan.
 */
export const summarizeWell = (db: Db, wellId: string) =>
  db.maybeOne<WellSummaryRow>({
    name: 'observations.summary',
    text: `SELECT w.id AS well_id, s.*
           FROM wells w
           CROSS JOIN LATERAL (
             SELECT count(*) AS count,
                    min(o.observed_at) AS first_observed_at,
                    max(o.observed_at) AS last_observed_at,
                    min(o.depth_to_water_ft) AS min_depth_ft,
                    max(o.depth_to_water_ft) AS max_depth_ft,
                    avg(o.depth_to_water_ft) AS mean_depth_ft,
                    regr_slope(o.depth_to_water_ft, extract(epoch FROM o.observed_at)::float8)
                      * ${SECONDS_PER_YEAR} AS trend_ft_per_year
             FROM observations o
             WHERE o.well_id = w.id
           ) s
           WHERE w.id = $1`,
    values: [wellId],
  });

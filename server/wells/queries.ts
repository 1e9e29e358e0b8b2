import type { Db } from '../lib/db';
import type { NewWell, WellFilters, WellPatch } from './schema';

/** A wells row as pg returns it: bigint ids arrive as strings, the date as text. */
export interface WellRow extends NewWell {
  id: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, site_code, name, status, type, county, latitude, longitude, elevation_ft, well_depth_ft,
  to_char(construction_date, 'YYYY-MM-DD') AS construction_date, created_at, updated_at`;

/** Writable columns in a fixed order; PATCH writes only those present. */
const WRITABLE = [
  'site_code',
  'name',
  'status',
  'type',
  'county',
  'latitude',
  'longitude',
  'elevation_ft',
  'well_depth_ft',
  'construction_date',
] as const satisfies readonly (keyof NewWell)[];

/** The point lookup's statement; exported so the benchmark's baselines run exactly the same SQL. */
export const findWellStatement = (id: string) =>
  ({ name: 'wells.find', text: `SELECT ${COLUMNS} FROM wells WHERE id = $1`, values: [id] }) as const;

export const findWell = (db: Db, id: string) => db.maybeOne<WellRow>(findWellStatement(id));

export const wellExists = (db: Db, id: string) =>
  db
    .maybeOne<{ id: string }>({ name: 'wells.exists', text: 'SELECT id FROM wells WHERE id = $1', values: [id] })
    .then((row) => row !== null);

/**
 * One page in id order, with one extra row to learn whether another follows.
 * The SQL text depends only on which filters are present, never on their
 * values, so each shape is a prepared statement of its own.
 */
export function listWells(db: Db, filters: WellFilters, limit: number, afterId: string | null) {
  const where: string[] = [];
  const shape: string[] = [];
  const values: unknown[] = [];
  const param = (v: unknown) => `$${values.push(v)}`;
  const add = (name: string, clause: string) => {
    shape.push(name);
    where.push(clause);
  };
  if (filters.county !== undefined) add('county', `lower(county) = lower(${param(filters.county)})`);
  if (filters.status !== undefined) add('status', `status = ${param(filters.status)}`);
  if (filters.type !== undefined) add('type', `type = ${param(filters.type)}`);
  if (filters.bbox !== undefined) {
    const [minLon, minLat, maxLon, maxLat] = filters.bbox;
    const box = (a: number, b: number) =>
      `point(longitude, latitude) <@ box(point(${param(a)}, ${param(minLat)}), point(${param(b)}, ${param(maxLat)}))`;
    // A box whose west edge lies east of its east edge wraps across ±180°.
    if (minLon <= maxLon) add('bbox', box(minLon, maxLon));
    else add('bbox-wrap', `(${box(minLon, 180)} OR ${box(-180, maxLon)})`);
  }
  if (afterId !== null) add('after', `id > ${param(afterId)}`);
  return db.many<WellRow>({
    name: `wells.list:${shape.join(',')}`,
    text: `SELECT ${COLUMNS} FROM wells ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY id LIMIT ${param(limit + 1)}`,
    values,
  });
}

export const insertWell = (db: Db, well: NewWell) =>
  db.one<WellRow>({
    name: 'wells.insert',
    text: `INSERT INTO wells (${WRITABLE.join(', ')})
           VALUES (${WRITABLE.map((_, i) => `$${i + 1}`).join(', ')})
           RETURNING ${COLUMNS}`,
    values: WRITABLE.map((k) => well[k]),
  });

/** Applies the fields present in `patch`; null when the well does not exist. */
export function updateWell(db: Db, id: string, patch: WellPatch) {
  const present = WRITABLE.filter((k) => patch[k] !== undefined);
  return db.maybeOne<WellRow>({
    text: `UPDATE wells SET ${present.map((k, i) => `${k} = $${i + 2}`).join(', ')}, updated_at = now()
           WHERE id = $1 RETURNING ${COLUMNS}`,
    values: [id, ...present.map((k) => patch[k])],
  });
}

export const hasObservations = (db: Db, wellId: string) =>
  db
    .maybeOne<{ one: number }>({
      text: 'SELECT 1 AS one FROM observations WHERE well_id = $1 LIMIT 1',
      values: [wellId],
    })
    .then((row) => row !== null);

export const deleteObservationsOfWell = (db: Db, wellId: string) =>
  db.exec({ text: 'DELETE FROM observations WHERE well_id = $1', values: [wellId] });

export const deleteWell = (db: Db, id: string) =>
  db.exec({ name: 'wells.delete', text: 'DELETE FROM wells WHERE id = $1', values: [id] });

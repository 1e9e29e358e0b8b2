import type { Db } from '../lib/db';
import type { NewWell } from './schema';

/** A wells row as pg returns it: bigint ids arrive as strings. */
export interface WellRow extends NewWell {
  id: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, site_code, name, status, county, latitude, longitude, well_depth_ft, created_at, updated_at';

export const findWell = (db: Db, id: string) =>
  db.maybeOne<WellRow>({
    name: 'wells.find',
    text: `SELECT ${COLUMNS} FROM wells WHERE id = $1`,
    values: [id],
  });

/** One page in id order, fetching one extra row to learn whether another page follows. */
export const listWells = (db: Db, limit: number, afterId: string | null) =>
  afterId === null
    ? db.many<WellRow>({
        name: 'wells.list-first',
        text: `SELECT ${COLUMNS} FROM wells ORDER BY id LIMIT $1`,
        values: [limit + 1],
      })
    : db.many<WellRow>({
        name: 'wells.list-after',
        text: `SELECT ${COLUMNS} FROM wells WHERE id > $1 ORDER BY id LIMIT $2`,
        values: [afterId, limit + 1],
      });

export const insertWell = (db: Db, well: NewWell) =>
  db.one<WellRow>({
    name: 'wells.insert',
    text: `INSERT INTO wells (site_code, name, status, county, latitude, longitude, well_depth_ft)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           RETURNING ${COLUMNS}`,
    values: [well.site_code, well.name, well.status, well.county, well.latitude, well.longitude, well.well_depth_ft],
  });

import type { Db } from '../../server/lib/db';

/** Rows written and counted straight in the tables, not through the API: for set-up and assertions. */

export interface WellRow {
  readonly site_code: string;
  readonly name: string;
  readonly county?: string | null;
  /** The column defaults, 'unknown', when left out. */
  readonly status?: string;
  readonly type?: string;
  readonly latitude: number;
  readonly longitude: number;
}

/** Inserts one well; returns its id as a number. */
export const insertWell = (db: Db, row: WellRow): Promise<number> =>
  db
    .one<{ id: string }>({
      text: `INSERT INTO wells (site_code, name, county, status, type, latitude, longitude)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      values: [
        row.site_code,
        row.name,
        row.county ?? null,
        row.status ?? 'unknown',
        row.type ?? 'unknown',
        row.latitude,
        row.longitude,
      ],
    })
    .then((r) => Number(r.id));

/** A reading: [ISO instant, depth to water in feet]. */
export type Reading = readonly [iso: string, depth: number];

/** Inserts one well's readings in one statement; returns how many. */
export const insertObservations = (db: Db, wellId: number, rows: readonly Reading[]): Promise<number> =>
  db.exec({
    text: `INSERT INTO observations (well_id, observed_at, depth_to_water_ft)
           SELECT $1, t, d FROM unnest($2::timestamptz[], $3::float8[]) AS u(t, d)`,
    values: [wellId, rows.map((r) => r[0]), rows.map((r) => r[1])],
  });

/** Rows of `table` matching `where`; both come from the test's own literals, never from a request. */
export const countRows = (db: Db, table: string, where = 'TRUE', values: readonly unknown[] = []): Promise<number> =>
  db.one<{ n: number }>({ text: `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, values }).then((r) => r.n);

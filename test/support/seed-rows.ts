import type { Db } from '../../server/lib/db';

export interface SeededRows {
  readonly well: string;
  readonly observation: string;
  readonly contact: string;
  readonly site_code: string;
}

/** A well with one observation and a linked contact, so real ids lead somewhere. */
export const seedLinkedRows = (db: Db, siteCode: string): Promise<SeededRows> =>
  db.one<SeededRows>({
    text: `WITH w AS (INSERT INTO wells (site_code, name, county, latitude, longitude)
                      VALUES ($1, 'Seed well', 'Finney', 37.5, -100.5) RETURNING id, site_code),
                o AS (INSERT INTO observations (well_id, observed_at, depth_to_water_ft)
                      SELECT id, '2020-01-01T00:00:00Z', 12.5 FROM w RETURNING id),
                c AS (INSERT INTO contacts (name, organization) VALUES ('Seed contact', 'Seed org') RETURNING id),
                l AS (INSERT INTO well_contacts (well_id, contact_id, role)
                      SELECT w.id, c.id, 'owner' FROM w, c RETURNING 1)
           SELECT w.id AS well, o.id AS observation, c.id AS contact, w.site_code
           FROM w, o, c, (SELECT count(*) FROM l) n`,
    values: [siteCode],
  });

/** A real id for a path parameter: the resource named by the segment before it. */
export function idFor(route: string, param: string, rows: SeededRows): string {
  const before = route.split(`/{${param}}`)[0]?.split('/').pop();
  if (param === 'contactId' || before === 'contacts') return rows.contact;
  return before === 'observations' ? rows.observation : rows.well;
}

/** The route with every path parameter replaced by a real id. */
export const withIds = (route: string, rows: SeededRows): string =>
  route.replace(/\{(\w+)\}/g, (_m, name: string) => idFor(route, name, rows));

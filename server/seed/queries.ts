import type { Db } from '../lib/db';
import type { NewWell } from '../wells/schema';
import type { NewContact, NewWellContactLink, ObservationPlan, ObservationSchedule } from './generate';

const column = <T, K extends keyof T>(rows: readonly T[], key: K): T[K][] => rows.map((r) => r[key]);

/**
 * Runs `fn` in a transaction on `db`, which must be a single connection
 * (withSingleConnection): BEGIN and COMMIT are per session.
 */
export async function inTransaction<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  await db.exec({ text: 'BEGIN' });
  try {
    const result = await fn();
    await db.exec({ text: 'COMMIT' });
    return result;
  } catch (err) {
    await db.exec({ text: 'ROLLBACK' }).catch(() => undefined);
    throw err;
  }
}

/** True the first time `name` is claimed. Inside a transaction the claim commits or rolls back with the rows. */
export const claimMarker = async (db: Db, name: string): Promise<boolean> =>
  (await db.exec({ text: 'INSERT INTO app_markers (name) VALUES ($1) ON CONFLICT DO NOTHING', values: [name] })) === 1;

/** Session-level lock so two seed runs do not interleave (contacts have no unique key to conflict on). */
export const lockSeeding = (db: Db) => db.exec({ text: "SELECT pg_advisory_lock(hashtext('aquifer.seed'))" });
export const unlockSeeding = (db: Db) => db.exec({ text: "SELECT pg_advisory_unlock(hashtext('aquifer.seed'))" });

/** Inserts wells whose site code is new; returns how many were added. */
export const insertWells = (db: Db, wells: readonly NewWell[]) =>
  db.exec({
    text: `INSERT INTO wells (site_code, name, status, type, county, latitude, longitude, well_depth_ft,
                              elevation_ft, construction_date)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::date[])
           ON CONFLICT (site_code) DO NOTHING`,
    values: [
      column(wells, 'site_code'),
      column(wells, 'name'),
      column(wells, 'status'),
      column(wells, 'type'),
      column(wells, 'county'),
      column(wells, 'latitude'),
      column(wells, 'longitude'),
      column(wells, 'well_depth_ft'),
      column(wells, 'elevation_ft'),
      column(wells, 'construction_date'),
    ],
  });

/**
 * Generates `schedule.perWell` readings for each planned well server-side and
 * inserts the new ones; returns how many were added. Reading k (0 = latest) is at
 * endDate − k × step + minute_of_day, computed in UTC so the session time zone
 * cannot shift it. Depth = baseline − trend × years before the end + seasonal
 * sine + noise from an integer hash of (noise_seed, k), rounded to 0.01 ft and
 * kept between 0.5 ft and 2 ft above the well's bottom.
 */
export const insertObservations = (db: Db, plans: readonly ObservationPlan[], schedule: ObservationSchedule) =>
  db.exec({
    text: `WITH plan AS (
             SELECT * FROM unnest($1::text[], $2::float8[], $3::float8[], $4::float8[], $5::float8[],
                                  $6::float8[], $7::int[], $8::bigint[], $9::text[], $10::text[])
                    AS p(site_code, baseline, amplitude, trend, noise, phase, minute_of_day, noise_seed, method, observer)
           ), reading AS (
             SELECT w.id AS well_id, w.well_depth_ft, p.*, k,
                    $11::date::timestamp - $12::interval * k AS day_utc,
                    ((((p.noise_seed + k * 7919) * 1103515245 + 12345) % 2147483648) * 1103515245 + 12345)
                      % 2147483648 AS h
             FROM plan p
             JOIN wells w ON w.site_code = p.site_code
             CROSS JOIN generate_series(0, $13::int - 1) AS k
           )
           INSERT INTO observations (well_id, observed_at, depth_to_water_ft, method, data_quality, observer)
           SELECT well_id,
                  (day_utc + make_interval(mins => minute_of_day)) AT TIME ZONE 'UTC',
                  round(greatest(0.5, least(coalesce(well_depth_ft, 1000) - 2,
                    baseline
                    - trend * extract(epoch FROM $11::date::timestamp - day_utc) / 31557600
                    + amplitude * sin(2 * pi() * (extract(epoch FROM day_utc) / 31557600 + phase))
                    + noise * (2 * h / 2147483648.0 - 1)))::numeric, 2)::float8,
                  method,
                  CASE WHEN k < greatest(1, $13::int / 10) THEN 'provisional'
                       WHEN h % 100 < 3 THEN 'estimated'
                       WHEN h % 100 < 4 THEN 'suspect'
                       ELSE 'approved' END,
                  observer
           FROM reading
           -- In key order the unique index grows at its right edge instead of splitting pages all over it.
           ORDER BY well_id, k DESC
           ON CONFLICT (well_id, observed_at) DO NOTHING`,
    values: [
      column(plans, 'site_code'),
      column(plans, 'baseline_ft'),
      column(plans, 'amplitude_ft'),
      column(plans, 'trend_ft_per_year'),
      column(plans, 'noise_ft'),
      column(plans, 'phase'),
      column(plans, 'minute_of_day'),
      column(plans, 'noise_seed'),
      column(plans, 'method'),
      column(plans, 'observer'),
      schedule.endDate,
      schedule.step,
      schedule.perWell,
    ],
  });

/** Inserts contacts whose first e-mail address is not on file yet, in the given order; returns how many. */
export const insertContacts = (db: Db, contacts: readonly NewContact[]) =>
  db.exec({
    text: `INSERT INTO contacts (name, organization, emails, phones)
           SELECT c.name, c.organization, string_to_array(c.emails, ' '), string_to_array(c.phones, '|')
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY
                AS c(name, organization, emails, phones, n)
           WHERE NOT EXISTS (SELECT 1 FROM contacts x WHERE x.emails[1] = split_part(c.emails, ' ', 1))
           ORDER BY c.n`,
    values: [
      column(contacts, 'name'),
      column(contacts, 'organization'),
      // Arrays of arrays must be rectangular in PostgreSQL, so each contact's list travels as one string.
      contacts.map((c) => c.emails.join(' ')),
      contacts.map((c) => c.phones.join('|')),
    ],
  });

/** Links wells to contacts (by site code and first e-mail address); returns how many links were new. */
export const insertWellContactLinks = (db: Db, links: readonly NewWellContactLink[]) =>
  db.exec({
    text: `INSERT INTO well_contacts (well_id, contact_id, role)
           SELECT w.id, c.id, l.role
           FROM unnest($1::text[], $2::text[], $3::text[]) AS l(site_code, email, role)
           JOIN wells w ON w.site_code = l.site_code
           JOIN contacts c ON c.emails[1] = l.email
           ON CONFLICT (well_id, contact_id) DO NOTHING`,
    values: [column(links, 'site_code'), column(links, 'email'), column(links, 'role')],
  });

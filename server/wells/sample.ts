import type { Db } from '../lib/db';
import type { NewWell, WellStatus } from './schema';

const COUNTIES = [
  ['Finney', 'FIN'],
  ['Ford', 'FOR'],
  ['Gray', 'GRY'],
  ['Haskell', 'HAS'],
  ['Kearny', 'KEA'],
  ['Scott', 'SCO'],
  ['Stevens', 'STE'],
  ['Grant', 'GRA'],
] as const;
const STATUSES: WellStatus[] = ['active', 'active', 'active', 'inactive', 'unknown', 'destroyed'];

/** Deterministic sample wells in western Kansas (a Park–Miller generator, so every run matches). */
export function sampleWells(count: number): NewWell[] {
  let seed = 20_240_601;
  const next = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
  return Array.from({ length: count }, (_, i) => {
    const [county, code] = COUNTIES[i % COUNTIES.length] as (typeof COUNTIES)[number];
    const n = String(Math.floor(i / COUNTIES.length) + 1).padStart(3, '0');
    return {
      site_code: `KS-${code}-${n}`,
      name: `${county} County observation well ${n}`,
      status: STATUSES[Math.floor(next() * STATUSES.length)] as WellStatus,
      county,
      latitude: Math.round((37 + next() * 1.9) * 1e5) / 1e5,
      longitude: Math.round((-101.5 + next() * 2) * 1e5) / 1e5,
      well_depth_ft: Math.round(80 + next() * 420),
    };
  });
}

/**
 * Inserts the sample wells unless they were loaded before, in one statement so
 * the marker and the rows commit together. Returns the number of wells added.
 */
export async function loadSampleWellsOnce(db: Db, count = 40): Promise<number> {
  const wells = sampleWells(count);
  const col = <K extends keyof NewWell>(k: K) => wells.map((w) => w[k]);
  return db.exec({
    text: `WITH marker AS (
             INSERT INTO app_markers (name) VALUES ('sample-wells') ON CONFLICT DO NOTHING RETURNING 1)
           INSERT INTO wells (site_code, name, status, county, latitude, longitude, well_depth_ft)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                $5::float8[], $6::float8[], $7::float8[])
           WHERE EXISTS (SELECT 1 FROM marker)
           ON CONFLICT (site_code) DO NOTHING`,
    values: [
      col('site_code'),
      col('name'),
      col('status'),
      col('county'),
      col('latitude'),
      col('longitude'),
      col('well_depth_ft'),
    ],
  });
}

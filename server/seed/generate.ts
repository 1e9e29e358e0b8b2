/**
 * Deterministic generators for the sample data and the seed script. Every
 * value of item i comes from a hash of (series, i, field), never from a running
 * random state, so any slice can be generated on its own and the same
 * arguments always give the same rows. Pure: no I/O, no clock.
 */
import type { Term } from '../lexicon/vocabularies';
import type { NewWell } from '../wells/schema';

/** A 32-bit integer mix (lowbias32); integer-only, so identical on every platform. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) determined only by `parts`. */
export function unitHash(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) h = mix32(h ^ mix32(part));
  return h / 2 ** 32;
}

const pick = <T>(items: readonly T[], u: number): T => items[Math.floor(u * items.length)] as T;
const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A family of generated rows: its own salt, its own site codes and e-mail domain, so families never collide. */
export interface Series {
  readonly salt: number;
  readonly counties: readonly (readonly [name: string, code: string])[];
  /** Site code of well i; must be unique within the series and unlike any other series'. */
  siteCode(index: number, countyCode: string): string;
  readonly emailDomain: string;
  /** Bounding box the wells fall in: [minLon, minLat, maxLon, maxLat]. */
  readonly box: readonly [number, number, number, number];
}

const WESTERN_KANSAS: Series['counties'] = [
  ['Finney', 'FIN'],
  ['Ford', 'FOR'],
  ['Gray', 'GRY'],
  ['Haskell', 'HAS'],
  ['Kearny', 'KEA'],
  ['Scott', 'SCO'],
  ['Stevens', 'STE'],
  ['Grant', 'GRA'],
];

/** The sample loaded at start-up: KS-FIN-001, KS-FOR-001, … (counties in turn). */
export const SAMPLE_SERIES: Series = {
  salt: 20_240_601,
  counties: WESTERN_KANSAS,
  siteCode: (index, code) => `KS-${code}-${pad(Math.floor(index / WESTERN_KANSAS.length) + 1, 3)}`,
  emailDomain: 'sample.aquifer.example',
  box: [-101.5, 37, -99.5, 38.9],
};

/** `npm run seed`: SEED-0000001, … across the High Plains; never a sample code. */
export const SEED_SERIES: Series = {
  salt: 19_700_101,
  counties: [
    ...WESTERN_KANSAS,
    ['Sherman', 'SHE'],
    ['Thomas', 'THO'],
    ['Chase', 'CHA'],
    ['Perkins', 'PER'],
    ['Texas', 'TEX'],
    ['Cimarron', 'CIM'],
    ['Dallam', 'DAL'],
    ['Hale', 'HAL'],
    ['Yuma', 'YUM'],
    ['Kit Carson', 'KIT'],
  ],
  siteCode: (index) => `SEED-${pad(index + 1, 7)}`,
  emailDomain: 'seed.aquifer.example',
  box: [-103.5, 33.5, -98.5, 41.5],
};

/** The most wells one series can name (SEED- codes have seven digits). */
export const MAX_SERIES_WELLS = 9_999_999;

const STATUSES: readonly Term<'well_status'>[] = ['active', 'active', 'active', 'inactive', 'unknown', 'destroyed'];
const TYPES: readonly Term<'well_type'>[] = [
  'monitoring',
  'monitoring',
  'irrigation',
  'domestic',
  'stock',
  'public-supply',
];
/** Field numbers keep each field's hash independent of the others'. */
enum F {
  County = 1,
  Status,
  Type,
  Lat,
  Lon,
  Depth,
  Elevation,
  Year,
  Month,
  Day,
  Baseline,
  Amplitude,
  Trend,
  Noise,
  Phase,
  Minute,
  NoiseSeed,
  Method,
  Observer,
  First,
  Last,
  Org,
  Phone,
  SecondEmail,
  ContactPick,
  Role,
}

export function wellAt(series: Series, index: number): NewWell {
  const u = (field: F) => unitHash(series.salt, index, field);
  const [county, code] =
    series === SAMPLE_SERIES
      ? (series.counties[index % series.counties.length] as Series['counties'][number])
      : pick(series.counties, u(F.County));
  const siteCode = series.siteCode(index, code);
  const [minLon, minLat, maxLon, maxLat] = series.box;
  return {
    site_code: siteCode,
    name: `${county} County observation well ${siteCode.slice(siteCode.lastIndexOf('-') + 1)}`,
    status: pick(STATUSES, u(F.Status)),
    type: pick(TYPES, u(F.Type)),
    county,
    latitude: round(minLat + u(F.Lat) * (maxLat - minLat), 5),
    longitude: round(minLon + u(F.Lon) * (maxLon - minLon), 5),
    well_depth_ft: Math.round(80 + u(F.Depth) * 420),
    elevation_ft: Math.round(2600 + u(F.Elevation) * 1400),
    construction_date: `${1950 + Math.floor(u(F.Year) * 70)}-${pad(1 + Math.floor(u(F.Month) * 12), 2)}-${pad(1 + Math.floor(u(F.Day) * 28), 2)}`,
  };
}

export const wellsRange = (series: Series, start: number, count: number): NewWell[] =>
  Array.from({ length: count }, (_, i) => wellAt(series, start + i));

export type Method = Term<'measurement_method'>;
const METHODS: readonly Method[] = ['steel-tape', 'electric-tape', 'electric-tape', 'pressure-transducer', 'acoustic'];
const OBSERVERS = ['J. Ruiz', 'M. Okafor', 'L. Chen', 'S. Whitehorse', 'A. Novak', 'R. Patel', 'K. Lindqvist'];

/**
 * How one well's water level behaves; queries.ts turns it into readings with
 * generate_series: baseline − trend × years before the end date + a seasonal
 * sine + hashed noise, clamped inside the well.
 */
export interface ObservationPlan {
  readonly site_code: string;
  /** Depth to water at the end date, feet below land surface. */
  readonly baseline_ft: number;
  /** Half the seasonal swing, feet. */
  readonly amplitude_ft: number;
  /** Feet per year the level falls (positive) or recovers (negative). */
  readonly trend_ft_per_year: number;
  /** Largest noise either way, feet. */
  readonly noise_ft: number;
  /** Fraction of a year the seasonal cycle is shifted by. */
  readonly phase: number;
  /** Minutes after midnight UTC the well is read, so wells are not all read at one instant. */
  readonly minute_of_day: number;
  /** Seeds the per-reading noise; below 2^31 so the SQL hash stays inside bigint. */
  readonly noise_seed: number;
  readonly method: Method;
  /** Null for a transducer, which nobody reads by hand. */
  readonly observer: string | null;
}

export function observationPlanFor(series: Series, index: number): ObservationPlan {
  const u = (field: F) => unitHash(series.salt, index, field);
  const well = wellAt(series, index);
  const depth = well.well_depth_ft ?? 100;
  const method = pick(METHODS, u(F.Method));
  return {
    site_code: well.site_code,
    baseline_ft: round(depth * (0.15 + u(F.Baseline) * 0.35), 2),
    amplitude_ft: round(1 + u(F.Amplitude) * 9, 2),
    trend_ft_per_year: round(-0.5 + u(F.Trend) * 3, 3),
    noise_ft: round(0.2 + u(F.Noise) * 1.3, 2),
    phase: round(u(F.Phase), 4),
    minute_of_day: 8 * 60 + Math.floor(u(F.Minute) * 9 * 60),
    noise_seed: Math.floor(unitHash(series.salt, index, F.NoiseSeed) * 2 ** 31),
    method,
    observer: method === 'pressure-transducer' ? null : pick(OBSERVERS, u(F.Observer)),
  };
}

/** Readings are spaced `step` apart and end at a fixed instant, never "now", so runs match. */
export interface ObservationSchedule {
  /** The last reading's date (UTC), before each well's minute_of_day. */
  readonly endDate: string;
  /** A PostgreSQL interval, e.g. '7 days' or '1 month'. */
  readonly step: string;
  readonly perWell: number;
}

export const SAMPLE_SCHEDULE = { endDate: '2025-12-15', step: '1 month' } as const;
export const SEED_SCHEDULE = { endDate: '2025-12-29', step: '7 days' } as const;

export interface NewContact {
  readonly name: string;
  readonly organization: string | null;
  /** The first address is unique per contact and identifies it on a re-run. */
  readonly emails: string[];
  readonly phones: string[];
}

const FIRST = ['Avery', 'Jordan', 'Maria', 'Tomás', 'Grace', 'Wei', 'Samuel', 'Aiyana', 'Priya', 'Erik', 'Nora'];
const LAST = ['Hollis', 'Okafor', 'Schmidt', 'Nguyen', 'Redbird', 'Castillo', 'Larsen', 'Brennan', 'Haddad'];
const ORGS = [
  'Kansas Geological Survey',
  'Southwest Kansas Groundwater Management District No. 3',
  'Western Kansas Groundwater Management District No. 1',
  'High Plains Water District',
  'Prairie Irrigation Co-op',
  null,
];

export function contactAt(series: Series, index: number): NewContact {
  const u = (field: F) => unitHash(series.salt, index, field);
  const first = pick(FIRST, u(F.First));
  const last = pick(LAST, u(F.Last));
  const handle = `${first.normalize('NFD').replace(/[^A-Za-z]/g, '')}.${last}`.toLowerCase();
  const emails = [`${handle}.${index + 1}@${series.emailDomain}`];
  if (u(F.SecondEmail) < 0.3) emails.push(`${handle}@field.${series.emailDomain}`);
  // 555-01xx numbers are reserved for fiction.
  const phone = `+1 620 555 01${pad(Math.floor(u(F.Phone) * 100), 2)}`;
  return { name: `${first} ${last}`, organization: pick(ORGS, u(F.Org)), emails, phones: [phone] };
}

export const contactsRange = (series: Series, start: number, count: number): NewContact[] =>
  Array.from({ length: count }, (_, i) => contactAt(series, start + i));

export interface NewWellContactLink {
  readonly site_code: string;
  /** The contact's first e-mail address. */
  readonly email: string;
  readonly role: Term<'contact_role'>;
}

const PRIMARY_ROLES: readonly Term<'contact_role'>[] = ['owner', 'owner', 'operator', 'observer'];

/** Each well gets one contact; every fifth also an agency contact (a different one). */
export function linksForWell(series: Series, index: number, contactCount: number): NewWellContactLink[] {
  if (contactCount === 0) return [];
  const siteCode = wellAt(series, index).site_code;
  const first = Math.floor(unitHash(series.salt, index, F.ContactPick) * contactCount);
  const links: NewWellContactLink[] = [
    {
      site_code: siteCode,
      email: contactAt(series, first).emails[0] as string,
      role: pick(PRIMARY_ROLES, unitHash(series.salt, index, F.Role)),
    },
  ];
  if (index % 5 === 0 && contactCount > 1) {
    const agency = (first + 1 + (index % (contactCount - 1))) % contactCount;
    links.push({ site_code: siteCode, email: contactAt(series, agency).emails[0] as string, role: 'agency' });
  }
  return links;
}

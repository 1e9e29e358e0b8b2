import { isTerm } from '../../server/lexicon/vocabularies';
import {
  SAMPLE_SERIES,
  SEED_SERIES,
  contactAt,
  contactsRange,
  linksForWell,
  observationPlanFor,
  unitHash,
  wellAt,
  wellsRange,
} from '../../server/seed/generate';

const SERIES = [
  ['sample', SAMPLE_SERIES],
  ['seed', SEED_SERIES],
] as const;

describe('unitHash', () => {
  it('is a pure function of its parts, within [0, 1), and spreads nearby inputs', () => {
    expect(unitHash(1, 2, 3)).toBe(unitHash(1, 2, 3));
    expect(unitHash(1, 2, 3)).not.toBe(unitHash(1, 3, 2));
    const values = Array.from({ length: 10_000 }, (_, i) => unitHash(7, i, 1));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    // Roughly uniform: each tenth of [0, 1) gets 8–12 % of the values.
    const deciles = Array.from({ length: 10 }, (_, d) => values.filter((v) => Math.floor(v * 10) === d).length);
    expect(deciles.filter((count) => count < 800 || count > 1200)).toEqual([]);
  });
});

describe.each(SERIES)('%s wells', (_label, series) => {
  const wells = wellsRange(series, 0, 2_000);

  it('are the same on every call, and any slice matches the whole', () => {
    expect(wellsRange(series, 0, 2_000)).toEqual(wells);
    expect(wellsRange(series, 1_500, 10)).toEqual(wells.slice(1_500, 1_510));
    expect(wellAt(series, 1_234)).toEqual(wells[1_234]);
  });

  it('have unique site codes and values inside the schema checks', () => {
    expect(new Set(wells.map((w) => w.site_code)).size).toBe(wells.length);
    const [minLon, minLat, maxLon, maxLat] = series.box;
    const between = (v: number | null, lo: number, hi: number) => v !== null && v >= lo && v <= hi;
    const validDate = (d: string | null) =>
      d !== null &&
      /^(19[5-9]\d|20[01]\d)-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])$/.test(d) &&
      new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;
    // Collected, then asserted once: one expect per field per well is slow on a loaded machine.
    const bad = wells.filter(
      (w) =>
        !/^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/.test(w.site_code) ||
        !between(w.name.length, 1, 200) ||
        !isTerm('well_status', w.status) ||
        !isTerm('well_type', w.type) ||
        !between(w.latitude, minLat, maxLat) ||
        !between(w.longitude, minLon, maxLon) ||
        !between(w.well_depth_ft, 80, 500) ||
        !between(w.elevation_ft, -1500, 30_000) ||
        !validDate(w.construction_date),
    );
    expect(bad).toEqual([]);
  });

  it('give observation plans whose depths stay inside the well and the schema check', () => {
    const bad = wells.filter((well, i) => {
      const plan = observationPlanFor(series, i);
      // At the end date the level is baseline ± (amplitude + noise); it must lie inside the well.
      return (
        plan.site_code !== well.site_code ||
        !isTerm('measurement_method', plan.method) ||
        (plan.observer === null) !== (plan.method === 'pressure-transducer') ||
        plan.baseline_ft - plan.amplitude_ft - plan.noise_ft <= 0 ||
        plan.baseline_ft + plan.amplitude_ft + plan.noise_ft >= (well.well_depth_ft ?? 0) - 2 ||
        Math.abs(plan.trend_ft_per_year) > 2.5 ||
        plan.phase < 0 ||
        plan.phase > 1 ||
        plan.minute_of_day < 0 ||
        plan.minute_of_day >= 24 * 60 ||
        !Number.isInteger(plan.noise_seed) ||
        plan.noise_seed < 0 ||
        plan.noise_seed >= 2 ** 31
      );
    });
    expect(bad).toEqual([]);
    expect(observationPlanFor(series, 77)).toEqual(observationPlanFor(series, 77));
  });
});

describe('series never collide', () => {
  it('keeps seed site codes and e-mail addresses apart from the sample', () => {
    const sample = new Set(wellsRange(SAMPLE_SERIES, 0, 400).map((w) => w.site_code));
    expect([...sample].slice(0, 3)).toEqual(['KS-FIN-001', 'KS-FOR-001', 'KS-GRY-001']);
    expect(wellsRange(SEED_SERIES, 0, 5_000).filter((w) => sample.has(w.site_code))).toEqual([]);
    expect(wellAt(SEED_SERIES, 0).site_code).toBe('SEED-0000001');
    expect(contactAt(SEED_SERIES, 0).emails[0]).not.toBe(contactAt(SAMPLE_SERIES, 0).emails[0]);
  });
});

describe('contacts and links', () => {
  const contacts = contactsRange(SEED_SERIES, 0, 500);

  it('are deterministic, with a unique first address and values inside the checks', () => {
    expect(contactsRange(SEED_SERIES, 0, 500)).toEqual(contacts);
    expect(new Set(contacts.map((c) => c.emails[0])).size).toBe(contacts.length);
    const bad = contacts.filter(
      (c) =>
        c.name.length < 1 ||
        c.name.length > 200 ||
        c.emails.length < 1 ||
        c.emails.length > 10 ||
        // The SQL splits each list on ' ' (e-mails) and '|' (phones).
        !c.emails.every((e) => /^[a-z.0-9]+@[a-z.]+$/.test(e)) ||
        c.phones.length !== 1 ||
        !/^\+1 620 555 01\d\d$/.test(c.phones[0] ?? ''),
    );
    expect(bad).toEqual([]);
  });

  it('link every well to known contacts with vocabulary roles, an agency on every fifth well', () => {
    const emails = new Set(contacts.map((c) => c.emails[0]));
    const bad = Array.from({ length: 1_000 }, (_, i) => i).filter((i) => {
      const links = linksForWell(SEED_SERIES, i, contacts.length);
      return (
        links.length !== (i % 5 === 0 ? 2 : 1) ||
        !links.every(
          (l) =>
            l.site_code === wellAt(SEED_SERIES, i).site_code && emails.has(l.email) && isTerm('contact_role', l.role),
        ) ||
        (links.length === 2 && (links[1]?.role !== 'agency' || links[1]?.email === links[0]?.email))
      );
    });
    expect(bad).toEqual([]);
    expect(linksForWell(SEED_SERIES, 3, 0)).toEqual([]);
    expect(linksForWell(SEED_SERIES, 0, 1)).toHaveLength(1);
  });
});

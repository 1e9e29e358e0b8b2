import {
  DEFAULT_MIX,
  MIX_KINDS,
  MixError,
  catalogFromWells,
  createMix,
  parseMix,
  seededRandom,
  type MixKind,
  type MixOptions,
  type PlannedRequest,
} from '../../server/loadtest/mix';

const WELLS = [
  { id: 1, site_code: 'KS-FIN-001', name: 'Finney Observation Well', county: 'Finney' },
  { id: 2, site_code: 'KS-FIN-002', name: 'Garden City North', county: 'Finney' },
  { id: 7, site_code: 'KS-SCO-001', name: 'Scott Lake', county: 'Scott' },
  { id: 9, site_code: 'NE-X', name: 'No county', county: null },
];
const catalog = catalogFromWells(WELLS);

/** A frozen clock: writes must still get distinct observed_at values. */
const FROZEN = Date.parse('2026-06-01T12:00:00.000Z');
const options = (over: Partial<MixOptions> = {}): MixOptions => ({
  weights: DEFAULT_MIX,
  catalog,
  seed: 42,
  apiKey: 'aq_test_key',
  now: () => FROZEN,
  runLabel: 'aquifer loadtest test',
  ...over,
});

const draw = (opts: MixOptions, n: number): PlannedRequest[] => {
  const mix = createMix(opts);
  return Array.from({ length: n }, () => mix.next());
};

describe('parseMix', () => {
  it.each<[string, Record<MixKind, number>]>([
    ['lookup=60,list=15,search=10,summary=10,write=5', { lookup: 60, list: 15, search: 10, summary: 10, write: 5 }],
    ['write=1', { lookup: 0, list: 0, search: 0, summary: 0, write: 1 }],
    [' lookup = 3 , summary=0 ', { lookup: 3, list: 0, search: 0, summary: 0, write: 0 }],
  ])('reads %s', (text, want) => {
    expect(parseMix(text)).toEqual(want);
  });

  it.each([
    ['lookup', /KIND=WEIGHT/],
    ['lookup=-1', /KIND=WEIGHT/],
    ['lookup=1.5', /KIND=WEIGHT/],
    ['delete=5', /unknown kind "delete"/],
    ['lookup=1,lookup=2', /given twice/],
    ['lookup=0,write=0', /at least one weight/],
  ])('refuses %s', (text, message) => {
    expect(() => parseMix(text)).toThrow(MixError);
    expect(() => parseMix(text)).toThrow(message);
  });
});

describe('catalogFromWells', () => {
  it('keeps the ids, the distinct counties and the terms a person would type', () => {
    expect(catalog.ids).toEqual([1, 2, 7, 9]);
    expect(catalog.counties).toEqual(['Finney', 'Scott']);
    expect(catalog.searchTerms).toEqual(
      expect.arrayContaining(['Finney', 'KS-FIN', 'KS-FIN-001', 'Garden', 'North', 'Lake', 'NE-X', 'Observation']),
    );
    // Words under three letters and one-part site-code prefixes are not useful searches.
    expect(catalog.searchTerms).not.toContain('No');
    expect(catalog.searchTerms).not.toContain('NE');
  });
});

describe('createMix', () => {
  it('draws each kind in proportion to its weight (20,000 draws, within 1.5 points)', () => {
    const n = 20_000;
    const counts = Object.fromEntries(MIX_KINDS.map((k) => [k, 0])) as Record<MixKind, number>;
    for (const r of draw(options(), n)) counts[r.kind]++;
    const total = MIX_KINDS.reduce((sum, k) => sum + DEFAULT_MIX[k], 0);
    for (const kind of MIX_KINDS) {
      expect(Math.abs(counts[kind] / n - DEFAULT_MIX[kind] / total)).toBeLessThan(0.015);
    }
  });

  it('is deterministic for a seed, and another seed gives another sequence', () => {
    expect(draw(options(), 300)).toEqual(draw(options(), 300));
    expect(draw(options({ seed: 43 }), 300)).not.toEqual(draw(options(), 300));
  });

  it('never draws a kind of weight 0', () => {
    const kinds = new Set(
      draw(options({ weights: { ...DEFAULT_MIX, write: 0, search: 0 } }), 5_000).map((r) => r.kind),
    );
    expect([...kinds].sort()).toEqual(['list', 'lookup', 'summary']);
  });

  it('builds each kind of request from the catalog, with the key on writes only', () => {
    const requests = draw(options(), 2_000);
    const byKind = (kind: MixKind) => requests.filter((r) => r.kind === kind);
    for (const r of byKind('lookup')) expect(r.path).toMatch(/^\/api\/v1\/wells\/(1|2|7|9)$/);
    for (const r of byKind('summary')) expect(r.path).toMatch(/^\/api\/v1\/wells\/(1|2|7|9)\/summary$/);
    for (const r of byKind('list')) expect(r.path).toMatch(/^\/api\/v1\/wells\?limit=50&county=(Finney|Scott)$/);
    for (const r of byKind('search')) {
      const q = decodeURIComponent(r.path.replace(/^\/api\/v1\/search\?q=/, ''));
      expect(catalog.searchTerms).toContain(q);
    }
    for (const r of requests.filter((x) => x.kind !== 'write')) {
      expect(r).toEqual(expect.objectContaining({ method: 'GET', headers: {} }));
      expect(r.body).toBeUndefined();
    }
    const writes = byKind('write');
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      expect(w.method).toBe('POST');
      expect(w.path).toMatch(/^\/api\/v1\/wells\/(1|2|7|9)\/observations$/);
      expect(w.headers).toEqual({ authorization: 'Bearer aq_test_key', 'content-type': 'application/json' });
    }
  });

  it('gives every write its own, strictly increasing observed_at even when the clock stands still', () => {
    const writes = draw(options({ weights: { lookup: 0, list: 0, search: 0, summary: 0, write: 1 } }), 50);
    const instants = writes.map((w) => (JSON.parse(w.body as string) as { observed_at: string }).observed_at);
    expect(instants[0]).toBe('2026-06-01T12:00:00.000Z');
    expect(instants[1]).toBe('2026-06-01T12:00:00.001Z');
    expect(new Set(instants).size).toBe(50);
    expect([...instants].sort()).toEqual(instants);
    const body = JSON.parse(writes[0]?.body as string) as Record<string, unknown>;
    expect(body).toEqual(
      expect.objectContaining({
        data_quality: 'provisional',
        observer: 'aquifer loadtest',
        notes: 'aquifer loadtest test',
      }),
    );
  });

  it('falls back to lookups when there are no counties or terms, and refuses an empty catalog', () => {
    const idsOnly = { ids: [5], counties: [], searchTerms: [] };
    const kinds = new Set(
      draw(options({ catalog: idsOnly, weights: { ...DEFAULT_MIX, write: 0 } }), 500).map((r) => r.kind),
    );
    expect([...kinds].sort()).toEqual(['lookup', 'summary']);
    expect(() => createMix(options({ catalog: { ids: [], counties: [], searchTerms: [] } }))).toThrow(/no wells/);
  });
});

describe('seededRandom', () => {
  it('stays in [0, 1) and repeats for a seed', () => {
    const a = seededRandom(7);
    const values = Array.from({ length: 1_000 }, a);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const b = seededRandom(7);
    expect(Array.from({ length: 1_000 }, b)).toEqual(values);
  });
});

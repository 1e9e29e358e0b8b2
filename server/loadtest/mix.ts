/**
 * The load test's traffic: a weighted mix of point lookups, lists, searches,
 * summaries and writes, drawn from a seeded PRNG over ids and terms taken from
 * the server's own wells. Pure: the clock for `observed_at` is passed in, so the
 * same seed, catalog and clock give the same requests.
 */

export const MIX_KINDS = ['lookup', 'list', 'search', 'summary', 'write'] as const;
export type MixKind = (typeof MIX_KINDS)[number];

export type MixWeights = Readonly<Record<MixKind, number>>;

/** Mostly reads, as a monitoring API sees: lookups dominate, writes are a few percent. */
export const DEFAULT_MIX: MixWeights = { lookup: 60, list: 15, search: 10, summary: 10, write: 5 };

/** Thrown for a --mix that cannot be read; the CLI turns it into a usage error. */
export class MixError extends Error {}

/** Reads `lookup=60,list=15,…`; kinds left out weigh 0, and at least one must weigh more. */
export function parseMix(text: string): MixWeights {
  const weights: Record<MixKind, number> = { lookup: 0, list: 0, search: 0, summary: 0, write: 0 };
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const m = /^\s*([a-z]+)\s*=\s*(\d{1,6})\s*$/.exec(part);
    const kind = m?.[1];
    if (!m || kind === undefined) throw new MixError(`--mix takes KIND=WEIGHT,…, got "${part}"`);
    if (!(MIX_KINDS as readonly string[]).includes(kind)) {
      throw new MixError(`--mix: unknown kind "${kind}" (one of ${MIX_KINDS.join(', ')})`);
    }
    if (seen.has(kind)) throw new MixError(`--mix: "${kind}" is given twice`);
    seen.add(kind);
    weights[kind as MixKind] = Number(m[2]);
  }
  if (MIX_KINDS.every((k) => weights[k] === 0)) throw new MixError('--mix: at least one weight must be above 0');
  return weights;
}

/** mulberry32: tiny, fast and good enough to spread requests; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the mix draws from: real ids, counties and search terms of the server under test. */
export interface WellCatalog {
  readonly ids: readonly number[];
  readonly counties: readonly string[];
  readonly searchTerms: readonly string[];
}

export interface CatalogWell {
  readonly id: number;
  readonly site_code: string;
  readonly name: string;
  readonly county: string | null;
}

/** Search terms a person would type: counties, words of well names, site codes and their prefixes. */
export function catalogFromWells(wells: readonly CatalogWell[]): WellCatalog {
  const counties = new Set<string>();
  const terms = new Set<string>();
  for (const w of wells) {
    if (w.county) {
      counties.add(w.county);
      terms.add(w.county);
    }
    terms.add(w.site_code);
    // "KS-FIN-001" → "KS-FIN": a partial code, as a field worker types it (a lone "KS" matches everything).
    const parts = w.site_code.split('-');
    if (parts.length >= 3) terms.add(parts.slice(0, -1).join('-'));
    for (const word of w.name.split(/\s+/)) if (word.length >= 3) terms.add(word);
  }
  return { ids: wells.map((w) => w.id), counties: [...counties].sort(), searchTerms: [...terms].sort() };
}

export interface PlannedRequest {
  readonly kind: MixKind;
  readonly method: 'GET' | 'POST';
  /** Relative to the API's origin, query included and encoded. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface MixOptions {
  readonly weights: MixWeights;
  readonly catalog: WellCatalog;
  readonly seed: number;
  /** Sent on writes only: reads stay anonymous, as most clients are. */
  readonly apiKey: string;
  /** Milliseconds since the epoch; observed_at is drawn from it, strictly increasing. */
  readonly now: () => number;
  /** Written into each observation's notes, so a run's rows can be found again. */
  readonly runLabel: string;
}

const MEASUREMENT_METHODS = ['steel-tape', 'electric-tape', 'pressure-transducer'] as const;

export interface Mix {
  next(): PlannedRequest;
}

export function createMix(opts: MixOptions): Mix {
  const { weights, catalog } = opts;
  if (catalog.ids.length === 0) throw new MixError('no wells to draw from: the server has none (seed it first)');
  const random = seededRandom(opts.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const total = MIX_KINDS.reduce((sum, k) => sum + weights[k], 0);
  // Kinds whose pool is empty fall back to a lookup rather than sending a request that cannot be meant.
  const usable = (kind: MixKind): MixKind =>
    (kind === 'list' && catalog.counties.length === 0) || (kind === 'search' && catalog.searchTerms.length === 0)
      ? 'lookup'
      : kind;
  let lastObservedAt = -Infinity;

  function drawKind(): MixKind {
    let r = random() * total;
    for (const kind of MIX_KINDS) {
      r -= weights[kind];
      if (r < 0) return kind;
    }
    return MIX_KINDS.filter((k) => weights[k] > 0).at(-1) as MixKind;
  }

  const get = (kind: MixKind, path: string): PlannedRequest => ({ kind, method: 'GET', path, headers: {} });

  function write(): PlannedRequest {
    // One reading per well per instant is the rule: strictly increasing milliseconds never repeat.
    lastObservedAt = Math.max(opts.now(), lastObservedAt + 1);
    const body = JSON.stringify({
      observed_at: new Date(lastObservedAt).toISOString(),
      depth_to_water_ft: Math.round((50 + random() * 200) * 100) / 100,
      method: pick(MEASUREMENT_METHODS),
      data_quality: 'provisional',
      observer: 'aquifer loadtest',
      notes: opts.runLabel,
    });
    return {
      kind: 'write',
      method: 'POST',
      path: `/api/v1/wells/${pick(catalog.ids)}/observations`,
      headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
      body,
    };
  }

  return {
    next() {
      const kind = usable(drawKind());
      switch (kind) {
        case 'lookup':
          return get(kind, `/api/v1/wells/${pick(catalog.ids)}`);
        case 'list':
          return get(kind, `/api/v1/wells?limit=50&county=${encodeURIComponent(pick(catalog.counties))}`);
        case 'search':
          return get(kind, `/api/v1/search?q=${encodeURIComponent(pick(catalog.searchTerms))}`);
        case 'summary':
          return get(kind, `/api/v1/wells/${pick(catalog.ids)}/summary`);
        case 'write':
          return write();
      }
    },
  };
}

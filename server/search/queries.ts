import type { Db } from '../lib/db';
import type { SearchField, SearchKind } from './schema';

export interface SearchHitRow {
  kind: SearchKind;
  id: string;
  label: string;
  matched: SearchField;
  score: number;
}

/** `q` as a literal inside a LIKE pattern: backslash (the default escape), % and _ lose their meaning. */
export const escapeLike = (q: string): string => q.replace(/[\\%_]/g, '\\$&');

/**
 * A field's score when it matches ($1 = q), else NULL. It matches when q is
 * word-similar (`<%`, pg_trgm.word_similarity_threshold) or a substring
 * ($2 = %q%); both operators are served by the trigram GIN indexes.
 */
const fieldScore = (column: string) =>
  `CASE WHEN $1 <% ${column} OR ${column} ILIKE $2 THEN word_similarity($1, ${column}) END`;

// Exact (+2) and prefix (+1, $3 = q%) site_code matches outrank any similarity, which is at most 1.
const siteCodeScore = `${fieldScore('w.site_code')}
  + CASE WHEN lower(w.site_code) = lower($1) THEN 2 WHEN w.site_code ILIKE $3 THEN 1 ELSE 0 END`;

/** The ranked search; exported so a test can EXPLAIN exactly this text. */
export const SEARCH_SQL = `
WITH hits AS (
  SELECT 'well' AS kind, w.id, w.name || ' (' || w.site_code || ')' AS label, best.field, best.score
  FROM wells w
  CROSS JOIN LATERAL (
    SELECT f.field, f.score
    FROM (VALUES (1, 'site_code', ${siteCodeScore}),
                 (2, 'name', ${fieldScore('w.name')}),
                 (3, 'county', ${fieldScore('w.county')})) AS f(ord, field, score)
    WHERE f.score IS NOT NULL
    ORDER BY f.score DESC, f.ord
    LIMIT 1
  ) best
  WHERE $1 <% w.site_code OR w.site_code ILIKE $2
     OR $1 <% w.name OR w.name ILIKE $2
     OR $1 <% w.county OR w.county ILIKE $2
  UNION ALL
  SELECT 'contact', c.id, c.name || coalesce(' (' || c.organization || ')', ''), best.field, best.score
  FROM contacts c
  CROSS JOIN LATERAL (
    SELECT f.field, f.score
    FROM (VALUES (1, 'name', ${fieldScore('c.name')}),
                 (2, 'organization', ${fieldScore('c.organization')})) AS f(ord, field, score)
    WHERE f.score IS NOT NULL
    ORDER BY f.score DESC, f.ord
    LIMIT 1
  ) best
  WHERE $1 <% c.name OR c.name ILIKE $2
     OR $1 <% c.organization OR c.organization ILIKE $2
)
SELECT kind, id, label, field AS matched, round(score::numeric, 4)::float8 AS score
FROM hits
ORDER BY score DESC, kind, id
LIMIT $4`;

/** The statement's parameters, in order: q, %q%, q%, limit. */
export const searchValues = (q: string, limit: number): unknown[] => {
  const literal = escapeLike(q);
  return [q, `%${literal}%`, `${literal}%`, limit];
};

export const searchAll = (db: Db, q: string, limit: number) =>
  db.many<SearchHitRow>({ name: 'search.all', text: SEARCH_SQL, values: searchValues(q, limit) });

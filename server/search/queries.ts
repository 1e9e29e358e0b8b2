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
 * ($2 = %q%).
 */
const fieldScore = (column: string) =>
  `CASE WHEN $1 <% ${column} OR ${column} ILIKE $2 THEN word_similarity($1, ${column}) END`;

// Exact (+2) and prefix (+1, $3 = q%) site_code matches outrank any similarity, which is at most 1.
const siteCodeScore = `${fieldScore('w.site_code')}
  + CASE WHEN lower(w.site_code) = lower($1) THEN 2 WHEN w.site_code ILIKE $3 THEN 1 ELSE 0 END`;

/**
 * Ids of `table`'s rows that can be among the best $4 (the limit) for `column`:
 * the nearest of the word-similar rows, and the nearest of the substring matches
 * (a substring may match below the similarity threshold). Both come from the
 * GiST trigram index in distance order, ties by id, so a scan reads about $4
 * rows plus however many tie with the last one.
 */
const nearest = (table: string, column: string, condition: string) =>
  `(SELECT id FROM ${table} WHERE ${condition} ORDER BY $1 <<-> ${column}, id LIMIT $4)`;
const candidates = (table: string, column: string) =>
  `${nearest(table, column, `$1 <% ${column}`)} UNION ${nearest(table, column, `${column} ILIKE $2`)}`;

/**
 * The ranked search; exported so a test can EXPLAIN exactly this text. A hit's
 * score is its best matching field's; every row of the overall top $4 is among
 * its best field's own top $4 (ties go by id at both levels), so scoring the
 * candidates gives the same answer as scoring every row, in bounded time.
 */
export const SEARCH_SQL = `
WITH well_ids AS (
  ${candidates('wells', 'site_code')}
  UNION ${nearest('wells', 'site_code', 'site_code ILIKE $3')}
  UNION (SELECT id FROM wells WHERE lower(site_code) = lower($1))
  UNION ${candidates('wells', 'name')}
  UNION ${candidates('wells', 'county')}
), contact_ids AS (
  ${candidates('contacts', 'name')}
  UNION ${candidates('contacts', 'organization')}
), hits AS (
  SELECT 'well' AS kind, w.id, w.name || ' (' || w.site_code || ')' AS label, best.field, best.score
  FROM well_ids JOIN wells w USING (id)
  CROSS JOIN LATERAL (
    SELECT f.field, f.score
    FROM (VALUES (1, 'site_code', ${siteCodeScore}),
                 (2, 'name', ${fieldScore('w.name')}),
                 (3, 'county', ${fieldScore('w.county')})) AS f(ord, field, score)
    WHERE f.score IS NOT NULL
    ORDER BY f.score DESC, f.ord
    LIMIT 1
  ) best
  UNION ALL
  SELECT 'contact', c.id, c.name || coalesce(' (' || c.organization || ')', ''), best.field, best.score
  FROM contact_ids JOIN contacts c USING (id)
  CROSS JOIN LATERAL (
    SELECT f.field, f.score
    FROM (VALUES (1, 'name', ${fieldScore('c.name')}),
                 (2, 'organization', ${fieldScore('c.organization')})) AS f(ord, field, score)
    WHERE f.score IS NOT NULL
    ORDER BY f.score DESC, f.ord
    LIMIT 1
  ) best
)
SELECT kind, id, label, field AS matched, round(score::numeric, 4)::float8 AS score
FROM hits
ORDER BY hits.score DESC, kind, id
LIMIT $4`;

/** The statement's parameters, in order: q, %q%, q%, limit. */
export const searchValues = (q: string, limit: number): unknown[] => {
  const literal = escapeLike(q);
  return [q, `%${literal}%`, `${literal}%`, limit];
};

export const searchAll = (db: Db, q: string, limit: number) =>
  db.many<SearchHitRow>({ name: 'search.all', text: SEARCH_SQL, values: searchValues(q, limit) });

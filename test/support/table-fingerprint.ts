import type { Db } from '../../server/lib/db';

export type Fingerprint = Readonly<Record<string, string>>;

let cachedSql: string | undefined;

/**
 * A hash of every row of every table in the public schema, per table, and of
 * the tables' columns: equal fingerprints mean no row was added, changed or
 * removed, and no table dropped or altered (a dropped one also fails the query).
 * The table list is read once per test file.
 */
export async function tableFingerprint(db: Db): Promise<Fingerprint> {
  if (cachedSql === undefined) {
    const tables = await db.many<{ name: string }>({
      text: "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    });
    const quoted = (n: string) => `"${n.replace(/"/g, '""')}"`;
    const perTable = tables.map(
      (r) =>
        `'${r.name.replace(/'/g, "''")}', (SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '') FROM ${quoted(r.name)} x)`,
    );
    cachedSql = `SELECT jsonb_build_object(
      '(columns)', (SELECT md5(string_agg(c.relname || '.' || a.attname || ':' || a.atttypid::regtype::text, ','
                      ORDER BY c.relname, a.attnum))
                    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped),
      ${perTable.join(',\n      ')}) AS f`;
  }
  return (await db.one<{ f: Fingerprint }>({ text: cachedSql })).f;
}

/** The tables whose fingerprint differs. */
export const changedTables = (before: Fingerprint, after: Fingerprint): string[] =>
  [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();

import fs from 'node:fs';
import path from 'node:path';
import { canonicalTerm } from '../../server/lib/normalize';

/**
 * What a response must never show: SQL, SQLSTATEs, the schema's own names, file
 * paths and stack frames. The schema names are read from migrations/, so a new
 * table or constraint is covered without touching this file.
 */

const MIGRATIONS = path.join(__dirname, '..', '..', 'migrations');

/** Names the migrations declare: tables, constraints and indexes. */
function schemaNames(): { tables: string[]; objects: string[] } {
  const sql = fs
    .readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => fs.readFileSync(path.join(MIGRATIONS, f), 'utf8'))
    .join('\n');
  const all = (re: RegExp) => [...sql.matchAll(re)].map((m) => (m[1] as string).toLowerCase());
  const tables = [...new Set([...all(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi), 'schema_migrations'])];
  const objects = [
    ...new Set([...all(/CONSTRAINT (\w+)/gi), ...all(/CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?(\w+)/gi)]),
  ];
  return { tables, objects };
}

const SQLSTATES =
  /\b(SQLSTATE|23505|23503|23502|23514|23P01|22P02|22001|22003|22007|22008|22012|22021|22023|40001|40P01|42501|42601|42703|42804|42883|42P01|53300|54001|57014|57P01|08006|XX000)\b/;

/**
 * Leak patterns. `publicWords` are table names that are also words of the API
 * (paths like /wells): those only count in SQL context, the others anywhere.
 */
function leakPatterns(publicWords: readonly string[]): { name: string; re: RegExp; errorsOnly?: true }[] {
  const { tables, objects } = schemaNames();
  const publicSet = new Set(publicWords);
  const hidden = tables.filter((t) => !publicSet.has(t));
  const any = (names: readonly string[]) => names.map((n) => n.replace(/\W/g, '')).join('|');
  return [
    { name: 'SQL statement', re: /\b(SELECT\s+\S+.*\s+FROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|RETURNING \w)/ },
    {
      name: 'driver message',
      re: /violates|duplicate key|null value in column|relation "|column "[^"]*" (of relation|does not exist)|syntax error at|invalid input syntax|out of range for type|value too long for type|invalid byte sequence|canceling statement|terminating connection/i,
    },
    // Keywords as SQL and PostgreSQL write them: English prose ("deleted from wells") is not SQL.
    {
      name: 'table in SQL',
      re: new RegExp(`(\\b(FROM|INTO|UPDATE|JOIN|TABLE)\\s+"?|\\b(relation|table) ")(${any(tables)})\\b`),
    },
    { name: 'internal table', re: new RegExp(`\\b(${any(hidden)})\\b`, 'i') },
    { name: 'constraint or index', re: new RegExp(`\\b(${any(objects)}|\\w+_(pkey|fkey|excl))\\b`, 'i') },
    // Numbers in a 2xx body are data (an elevation of 23505 ft is fine); in a problem they are not.
    { name: 'SQLSTATE', re: SQLSTATES, errorsOnly: true },
    { name: 'stack frame', re: /\bat \S+ \(?[^()\s]+:\d+:\d+\)?|^\s+at \S/m },
    { name: 'file path', re: /\/work\/|node_modules|\/home\/|\/root\/|\.ts:|\.js:\d+/ },
    { name: 'error class', re: /\b(DatabaseQueryError|TypeError|RangeError|ReferenceError|Maximum call stack)\b/ },
  ];
}

/** Every key and string of a parsed JSON value (iterative: sent bodies nest thousands deep). */
function stringsIn(value: unknown): string[] {
  const out: string[] = [];
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) pending.push(...(v as unknown[]));
    else if (typeof v === 'object' && v !== null) {
      for (const [k, inner] of Object.entries(v)) {
        out.push(k);
        pending.push(inner);
      }
    }
  }
  return out;
}

/** Every key and string of `text` read as JSON; none when it is not JSON. */
export function jsonStrings(text: string): string[] {
  try {
    return stringsIn(JSON.parse(text));
  } catch {
    return [];
  }
}

/** The forms a sent string may come back in: as sent, trimmed and NFC (text fields), canonical (terms). */
export const echoForms = (sent: string): string[] => [
  sent,
  sent.trim(),
  sent.normalize('NFC').trim(),
  canonicalTerm(sent),
];

/**
 * The text the server itself wrote in a response: every string of the body
 * (parsed when it is JSON) with every echo of what clients sent cut out, and
 * without `instance`, which is the request's own path by definition.
 */
export function serverText(body: string, echoes: ReadonlySet<string>): string {
  let parsed: unknown = body;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not JSON (HTML, Prometheus text, Node's own 4xx): checked as it is.
  }
  const { instance: _instance, ...rest } =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { body: parsed };
  const text = stringsIn(rest).join('\n');
  // Shorter echoes cannot make a pattern on their own, and cutting them out could hide one ("at", "ts").
  const present = [...echoes].filter((e) => e.length >= 4 && text.includes(e)).sort((a, b) => b.length - a.length);
  // A placeholder, not '', so the text on either side of an echo cannot join into a pattern.
  return present.reduce((acc, e) => acc.split(e).join('\u2400'), text);
}

export interface LeakChecker {
  /** The first pattern the response shows, by name, or null. */
  leakIn(status: number, body: string, echoes: ReadonlySet<string>): { pattern: string; text: string } | null;
}

export function leakChecker(publicWords: readonly string[]): LeakChecker {
  const patterns = leakPatterns(publicWords);
  return {
    leakIn(status, body, echoes) {
      const text = serverText(body, echoes);
      for (const p of patterns) {
        if (p.errorsOnly && status < 400) continue;
        const m = p.re.exec(text);
        if (m) return { pattern: p.name, text: text.slice(Math.max(0, m.index - 80), m.index + 120) };
      }
      return null;
    },
  };
}

/** Words of the public API: the segments of its paths (wells, observations, contacts, …). */
export function publicWordsOf(doc: { paths: Record<string, unknown> }): string[] {
  return [...new Set(Object.keys(doc.paths).flatMap((p) => p.split(/[/{}]+/).filter(Boolean)))];
}

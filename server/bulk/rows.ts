/**
 * One uploaded row: validation and normalization the way the JSON API does
 * it, and its encoding as a line of COPY text. Pure.
 */
import { isTerm, termsOf } from '../lexicon/vocabularies';
import { canonicalTerm, normalizeText, toFiniteNumber, toIsoTimestamp } from '../lib/normalize';

/** A problem with one line of the file; `line` is the physical line number (1-based). */
export interface RowError {
  readonly line: number;
  readonly path: string;
  readonly message: string;
}

export const BULK_FIELDS = [
  'site_code',
  'observed_at',
  'depth_to_water_ft',
  'method',
  'data_quality',
  'observer',
  'notes',
] as const;
export type BulkField = (typeof BULK_FIELDS)[number];
export const REQUIRED_FIELDS: readonly BulkField[] = ['site_code', 'observed_at', 'depth_to_water_ft'];

export const isBulkField = (name: string): name is BulkField => (BULK_FIELDS as readonly string[]).includes(name);

/** A row ready for the staging table. */
export interface StagingRow {
  readonly line: number;
  readonly site_code: string;
  readonly observed_at: string;
  readonly depth_to_water_ft: number;
  readonly method: string;
  readonly data_quality: string;
  readonly observer: string | null;
  readonly notes: string | null;
}

export type RowResult = { readonly row: StagingRow } | { readonly errors: RowError[] };

// The same defaults as the observations table's columns, so a staged row needs no NULL handling later.
const DEFAULT_METHOD = 'unknown';
const DEFAULT_DATA_QUALITY = 'provisional';
// The same bounds as the JSON API and the table's CHECK constraints.
const EARLIEST_INSTANT = '1800-01-01T00:00:00.000Z';
const MAX_AHEAD_MS = 86_400_000;
const TEXT_LIMITS = { site_code: 64, observer: 200, notes: 2000 } as const;

/** Absent, null and (for CSV) empty all mean "not given". */
const isAbsent = (value: unknown): boolean => value === undefined || value === null || value === '';

type FieldCheck<T> = { value: T } | { message: string };

function checkText(field: keyof typeof TEXT_LIMITS, value: unknown): FieldCheck<string | null> {
  if (isAbsent(value)) return { value: null };
  if (typeof value !== 'string') return { message: `${field} must be a string` };
  const text = normalizeText(value);
  if (text.includes('\u0000')) return { message: `${field} must not contain NUL characters` };
  if (text.length > TEXT_LIMITS[field]) {
    return { message: `${field} must be at most ${TEXT_LIMITS[field]} characters` };
  }
  return { value: text === '' ? null : text };
}

// An upload validates every row against the same `nowMs`: format its bound once, not per row.
let latestInstant = { nowMs: NaN, iso: '' };
function latestInstantFor(nowMs: number): string {
  if (latestInstant.nowMs !== nowMs) latestInstant = { nowMs, iso: new Date(nowMs + MAX_AHEAD_MS).toISOString() };
  return latestInstant.iso;
}

function checkObservedAt(value: unknown, nowMs: number): FieldCheck<string> {
  const iso = typeof value === 'string' ? toIsoTimestamp(value) : undefined;
  if (iso === undefined) {
    return { message: 'observed_at must be an ISO 8601 timestamp with a zone, e.g. 2024-05-01T14:30:00Z' };
  }
  if (iso < EARLIEST_INSTANT || iso > latestInstantFor(nowMs)) {
    return { message: 'observed_at must lie between 1800-01-01 and one day from now' };
  }
  return { value: iso };
}

function checkDepth(value: unknown): FieldCheck<number> {
  const n = typeof value === 'number' || typeof value === 'string' ? toFiniteNumber(value) : undefined;
  if (n === undefined) return { message: 'depth_to_water_ft must be a number' };
  if (n === null) return { message: 'depth_to_water_ft must be a finite number' };
  if (!(n > -1000 && n < 100_000))
    return { message: 'depth_to_water_ft must be greater than -1000 and less than 100000' };
  return { value: n };
}

function checkTerm(
  field: 'method' | 'data_quality',
  vocabulary: 'measurement_method' | 'data_quality',
  value: unknown,
  fallback: string,
): FieldCheck<string> {
  if (isAbsent(value)) return { value: fallback };
  const term = typeof value === 'string' ? canonicalTerm(value) : undefined;
  if (term === undefined || !isTerm(vocabulary, term)) {
    return { message: `${field} must be one of: ${termsOf(vocabulary).join(', ')}` };
  }
  return { value: term };
}

/**
 * Validates one row given as field → raw value (strings from CSV; JSON values
 * from NDJSON). Unknown keys must have been rejected by the caller.
 */
export function validateRow(
  raw: Readonly<Partial<Record<BulkField, unknown>>>,
  line: number,
  nowMs: number,
): RowResult {
  const errors: RowError[] = [];
  const take = <T>(path: BulkField, check: FieldCheck<T>): T | undefined => {
    if ('message' in check) {
      errors.push({ line, path, message: check.message });
      return undefined;
    }
    return check.value;
  };
  for (const field of REQUIRED_FIELDS) {
    if (isAbsent(raw[field])) errors.push({ line, path: field, message: `${field} is required` });
  }
  const siteCode = isAbsent(raw.site_code) ? undefined : take('site_code', checkText('site_code', raw.site_code));
  const observedAt = isAbsent(raw.observed_at)
    ? undefined
    : take('observed_at', checkObservedAt(raw.observed_at, nowMs));
  const depth = isAbsent(raw.depth_to_water_ft)
    ? undefined
    : take('depth_to_water_ft', checkDepth(raw.depth_to_water_ft));
  const method = take('method', checkTerm('method', 'measurement_method', raw.method, DEFAULT_METHOD));
  const quality = take(
    'data_quality',
    checkTerm('data_quality', 'data_quality', raw.data_quality, DEFAULT_DATA_QUALITY),
  );
  const observer = take('observer', checkText('observer', raw.observer));
  const notes = take('notes', checkText('notes', raw.notes));
  if (
    errors.length > 0 ||
    !siteCode ||
    observedAt === undefined ||
    depth === undefined ||
    method === undefined ||
    quality === undefined ||
    observer === undefined ||
    notes === undefined
  ) {
    if (errors.length === 0) errors.push({ line, path: 'site_code', message: 'site_code is required' });
    return { errors };
  }
  return {
    row: {
      line,
      site_code: siteCode,
      observed_at: observedAt,
      depth_to_water_ft: depth,
      method,
      data_quality: quality,
      observer,
      notes,
    },
  };
}

/** The staging table's columns, in the order `toCopyLine` writes them. */
export const STAGING_COLUMNS = ['line', ...BULK_FIELDS] as const;

const COPY_SPECIALS = /[\\\t\n\r]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

const HAS_COPY_SPECIAL = /[\\\t\n\r]/;

/** A value in COPY text format: NULL is \N; backslash, tab, newline and CR are escaped. */
export function copyValue(value: string | number | null): string {
  if (value === null) return '\\N';
  // Numbers never hold a special character, and most text holds none: skip the replace (a new string).
  if (typeof value === 'number') return String(value);
  return HAS_COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c] ?? c) : value;
}

/** One row as a line of COPY text format, columns as in STAGING_COLUMNS. */
export const toCopyLine = (row: StagingRow): string =>
  `${row.line}\t${copyValue(row.site_code)}\t${row.observed_at}\t${copyValue(row.depth_to_water_ft)}\t${row.method}\t${row.data_quality}\t${copyValue(row.observer)}\t${copyValue(row.notes)}\n`;

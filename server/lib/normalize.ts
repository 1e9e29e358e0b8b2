/**
 * Payload normalization, applied to every write body before validation.
 * Pure. It converts what it can to canonical form and leaves anything it
 * cannot interpret unchanged, so validation names the field; the one thing it
 * rejects itself is a non-finite number, which no later step could tell apart.
 * Keys not in the spec are left alone for validation to reject (never written).
 */
import { ValidationFailed, type FieldError } from './errors';

export type FieldKind = 'text' | 'term' | 'number' | 'date' | 'timestamp';
export type NormalizationSpec = Readonly<Record<string, FieldKind>>;

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// A timestamp must say which instant it means: a Z or an explicit offset.
const ZONED_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** Trims and applies Unicode NFC, so visually equal strings compare equal. */
export function normalizeText(value: string): string {
  return value.normalize('NFC').trim();
}

/** Canonical spelling of a controlled-vocabulary term: "Steel Tape", "steel_tape" → "steel-tape". */
export function canonicalTerm(value: string): string {
  return normalizeText(value)
    .toLowerCase()
    .replace(/[\s_-]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** A number from a number or numeric string; null for a non-finite one; undefined when not numeric. */
export function toFiniteNumber(value: unknown): number | null | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  if (NON_FINITE.test(s)) return null;
  if (!NUMERIC.test(s)) return undefined;
  const n = Number(s);
  // "1e999" is numeric text but overflows to Infinity.
  return Number.isFinite(n) ? n : null;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether year-month-day (month 1–12) is a real Gregorian date. */
function isCalendarDate(y: number, mo: number, d: number): boolean {
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (mo === 2 && leap ? 29 : (DAYS_IN_MONTH[mo - 1] as number));
}

/** "2024-02-29" stays; anything else that is not a real calendar date is returned undefined. */
export function toIsoDate(value: string): string | undefined {
  const s = value.trim();
  const m = ISO_DATE.exec(s);
  return m && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3])) ? s : undefined;
}

// Exactly what toISOString writes, with in-range clock fields: such a value is its own canonical form.
const CANONICAL_UTC = /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** A zoned timestamp as UTC ISO 8601; undefined for an unzoned or impossible one. */
export function toIsoTimestamp(value: string): string | undefined {
  const s = value.trim();
  // Fast path for bulk uploads, whose rows mostly come in this form: no parsing and no new string.
  const canonical = CANONICAL_UTC.exec(s);
  if (canonical)
    return isCalendarDate(Number(canonical[1]), Number(canonical[2]), Number(canonical[3])) ? s : undefined;
  if (!ZONED_TIMESTAMP.test(s) || toIsoDate(s.slice(0, 10)) === undefined) return undefined;
  // Date.parse wants ±hh:mm; accept ±hh and ±hhmm too.
  const withColon = s
    .replace(' ', 'T')
    .replace(/([+-]\d{2}):?(\d{2})?$/, (_, h: string, mm?: string) => `${h}:${mm ?? '00'}`);
  const ms = Date.parse(withColon);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function normalizeField(kind: FieldKind, value: unknown): unknown {
  if (value === null) return null;
  switch (kind) {
    case 'text':
      return typeof value === 'string' ? normalizeText(value) : value;
    case 'term':
      return typeof value === 'string' ? canonicalTerm(value) : value;
    case 'number': {
      const n = toFiniteNumber(value);
      return n === undefined ? value : n;
    }
    case 'date':
      return typeof value === 'string' ? (toIsoDate(value) ?? value) : value;
    case 'timestamp':
      return typeof value === 'string' ? (toIsoTimestamp(value) ?? value) : value;
  }
}

// defineProperty, not assignment: a "__proto__" key from JSON must stay a plain key for validation to reject.
function keep(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Returns a normalized copy of `payload`. Throws ValidationFailed when a
 * numeric field holds NaN or ±Infinity (as a number or a string).
 */
export function normalizePayload(payload: unknown, spec: NormalizationSpec, part = 'body'): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
  const errors: FieldError[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    const kind = Object.hasOwn(spec, key) ? spec[key] : undefined;
    if (kind === undefined) {
      keep(out, key, value);
      continue;
    }
    const normalized = normalizeField(kind, value);
    if (kind === 'number' && normalized === null && value !== null) {
      errors.push({ path: `${part}.${key}`, message: `${key} must be a finite number` });
    }
    keep(out, key, normalized);
  }
  if (errors.length > 0) throw new ValidationFailed(errors);
  return out;
}

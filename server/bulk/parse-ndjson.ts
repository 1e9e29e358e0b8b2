/**
 * Incremental NDJSON: one JSON object per line (LF or CRLF); blank lines and a
 * leading BOM are ignored. A bad line is reported and reading goes on.
 */
import { BOM, MAX_RECORD_CHARS, type RawRow, type RowEvent, type RowReader } from './row-reader';
import { BULK_FIELDS, isBulkField, type RowError } from './rows';

/** One line's JSON text → a raw row, or the problems with it. */
export function parseNdjsonLine(text: string, line: number): { raw: RawRow } | { errors: RowError[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { errors: [{ line, path: 'row', message: 'the line is not valid JSON' }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { errors: [{ line, path: 'row', message: 'the line must hold a JSON object' }] };
  }
  const errors: RowError[] = [];
  const raw: RawRow = {};
  for (const [key, v] of Object.entries(value)) {
    if (isBulkField(key)) raw[key] = v;
    else errors.push({ line, path: key, message: `"${key}" is not allowed; allowed: ${BULK_FIELDS.join(', ')}` });
  }
  return errors.length > 0 ? { errors } : { raw };
}

export class NdjsonRowReader implements RowReader {
  private pending = '';
  private line = 1;
  private started = false;
  private stopped = false;

  push(text: string, emit: (event: RowEvent) => void): void {
    if (this.stopped) return;
    let s = this.pending + text;
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.startsWith(BOM)) s = s.slice(1);
    }
    let start = 0;
    for (let nl = s.indexOf('\n'); nl !== -1 && !this.stopped; nl = s.indexOf('\n', start)) {
      this.onLine(s.slice(start, nl), emit);
      start = nl + 1;
    }
    this.pending = this.stopped ? '' : s.slice(start);
    if (this.pending.length > MAX_RECORD_CHARS) this.stopTooLong(emit);
  }

  private stopTooLong(emit: (event: RowEvent) => void): void {
    this.stopped = true;
    this.pending = '';
    const message = `a line is longer than ${MAX_RECORD_CHARS} characters`;
    emit({ kind: 'errors', errors: [{ line: this.line, path: 'row', message }], fatal: true });
  }

  end(emit: (event: RowEvent) => void): void {
    if (this.stopped) return;
    const rest = this.pending;
    this.pending = '';
    if (rest !== '') this.onLine(rest, emit);
  }

  private onLine(text: string, emit: (event: RowEvent) => void): void {
    if (text.length > MAX_RECORD_CHARS) {
      this.stopTooLong(emit);
      return;
    }
    const line = this.line++;
    if (text.trim() === '') return;
    const parsed = parseNdjsonLine(text.endsWith('\r') ? text.slice(0, -1) : text, line);
    if ('errors' in parsed) emit({ kind: 'errors', errors: parsed.errors, fatal: false });
    else emit({ kind: 'row', line, raw: parsed.raw });
  }
}

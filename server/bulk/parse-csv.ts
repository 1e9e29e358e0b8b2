/**
 * Incremental RFC 4180 CSV: quoted fields may hold commas, doubled quotes and
 * newlines; records end with CRLF or LF; a BOM and blank lines are ignored.
 */
import { BOM, MAX_RECORD_CHARS, type RawRow, type RowEvent, type RowReader } from './row-reader';
import { BULK_FIELDS, REQUIRED_FIELDS, isBulkField, type BulkField, type RowError } from './rows';

export interface CsvRecord {
  readonly fields: string[];
  /** Physical line the record starts on. */
  readonly line: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const COMMA = 44;
const LF = 10;
const QUOTE = 34;

interface Parsed {
  readonly fields: string[];
  readonly next: number;
  readonly newlines: number;
}

const countNewlines = (s: string): number => {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
};

/** Parses the record starting at `pos`; null when the text ends before the record does (and more may come). */
function parseRecord(s: string, pos: number, atEof: boolean, line: number): Parsed | null {
  const fields: string[] = [];
  let newlines = 0;
  for (;;) {
    if (s.charCodeAt(pos) === QUOTE) {
      let value = '';
      let i = pos + 1;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q === -1) {
          if (atEof) throw new CsvSyntaxError(line, 'a quoted field is not closed before the end of the file');
          return null;
        }
        const piece = s.slice(i, q);
        value += piece;
        newlines += countNewlines(piece);
        if (q + 1 >= s.length && !atEof) return null;
        if (s.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          i = q + 2;
          continue;
        }
        pos = q + 1;
        break;
      }
      fields.push(value);
      if (pos >= s.length) return atEof ? { fields, next: pos, newlines } : null;
      const c = s[pos];
      if (c === ',') {
        pos++;
        continue;
      }
      if (c === '\n') return { fields, next: pos + 1, newlines: newlines + 1 };
      if (c === '\r') {
        if (pos + 1 >= s.length) return atEof ? { fields, next: pos + 1, newlines } : null;
        if (s[pos + 1] === '\n') return { fields, next: pos + 2, newlines: newlines + 1 };
      }
      throw new CsvSyntaxError(line + newlines, 'a closing quote must be followed by a comma or the end of the line');
    }
    let j = pos;
    let quoteAt = -1;
    let code = 0;
    for (; j < s.length; j++) {
      code = s.charCodeAt(j);
      if (code === COMMA || code === LF) break;
      if (code === QUOTE && quoteAt === -1) quoteAt = j;
    }
    if (j >= s.length && !atEof) return null;
    if (quoteAt !== -1) {
      throw new CsvSyntaxError(
        line + newlines,
        'a double quote inside an unquoted field; quote the field and double the quote',
      );
    }
    let value = s.slice(pos, j);
    if (j >= s.length || code === LF) {
      if (value.endsWith('\r')) value = value.slice(0, -1);
      fields.push(value);
      return j >= s.length ? { fields, next: j, newlines } : { fields, next: j + 1, newlines: newlines + 1 };
    }
    fields.push(value);
    pos = j + 1;
  }
}

/** Splits CSV text into records as chunks arrive. Throws CsvSyntaxError; records before the error are delivered first. */
export class CsvRecordReader {
  private pending = '';
  private line = 1;
  private started = false;

  push(text: string, onRecord: (record: CsvRecord) => void): void {
    this.parse(text, false, onRecord);
  }

  end(onRecord: (record: CsvRecord) => void): void {
    this.parse('', true, onRecord);
  }

  private parse(text: string, atEof: boolean, onRecord: (record: CsvRecord) => void): void {
    let s = this.pending + text;
    if (!this.started && (s.length > 0 || atEof)) {
      this.started = true;
      if (s.startsWith(BOM)) s = s.slice(1);
    }
    let pos = 0;
    while (pos < s.length) {
      const parsed = parseRecord(s, pos, atEof, this.line);
      if (!parsed) break;
      if (parsed.next - pos > MAX_RECORD_CHARS) throw this.tooLong();
      const isBlank = parsed.fields.length === 1 && parsed.fields[0] === '' && !s.startsWith('""', pos);
      if (!isBlank) onRecord({ fields: parsed.fields, line: this.line });
      this.line += parsed.newlines;
      pos = parsed.next;
    }
    this.pending = s.slice(pos);
    if (this.pending.length > MAX_RECORD_CHARS) throw this.tooLong();
  }

  private tooLong(): CsvSyntaxError {
    return new CsvSyntaxError(this.line, `a record is longer than ${MAX_RECORD_CHARS} characters (an unclosed quote?)`);
  }
}

/** Maps header names to fields: every name known, none twice, every required field present. */
export function resolveCsvHeader(names: readonly string[]): { columns: BulkField[] } | { errors: RowError[] } {
  const errors: RowError[] = [];
  const columns: BulkField[] = [];
  for (const raw of names) {
    const name = raw.trim().toLowerCase();
    if (!isBulkField(name)) {
      errors.push({ line: 1, path: 'header', message: `unknown column "${raw}"; allowed: ${BULK_FIELDS.join(', ')}` });
    } else if (columns.includes(name)) {
      errors.push({ line: 1, path: 'header', message: `column "${name}" appears more than once` });
    } else {
      columns.push(name);
    }
  }
  for (const field of REQUIRED_FIELDS) {
    if (!columns.includes(field)) {
      errors.push({ line: 1, path: 'header', message: `required column "${field}" is missing` });
    }
  }
  return errors.length > 0 ? { errors } : { columns };
}

/** CSV with a header row → rows keyed by field. */
export class CsvRowReader implements RowReader {
  private readonly records = new CsvRecordReader();
  private columns: BulkField[] | undefined;
  private stopped = false;

  push(text: string, emit: (event: RowEvent) => void): void {
    if (!this.stopped) this.guard(emit, () => this.records.push(text, (r) => this.onRecord(r, emit)));
  }

  end(emit: (event: RowEvent) => void): void {
    if (this.stopped) return;
    this.guard(emit, () => this.records.end((r) => this.onRecord(r, emit)));
    if (!this.stopped && this.columns === undefined) {
      this.stop(emit, [{ line: 1, path: 'header', message: 'the file is empty; a header row is required' }]);
    }
  }

  private guard(emit: (event: RowEvent) => void, read: () => void): void {
    try {
      read();
    } catch (err) {
      if (!(err instanceof CsvSyntaxError)) throw err;
      this.stop(emit, [{ line: err.line, path: 'row', message: err.message }]);
    }
  }

  private stop(emit: (event: RowEvent) => void, errors: RowError[]): void {
    this.stopped = true;
    emit({ kind: 'errors', errors, fatal: true });
  }

  private onRecord(record: CsvRecord, emit: (event: RowEvent) => void): void {
    if (this.stopped) return;
    if (this.columns === undefined) {
      const header = resolveCsvHeader(record.fields);
      if ('errors' in header) this.stop(emit, header.errors);
      else this.columns = header.columns;
      return;
    }
    const { columns } = this;
    if (record.fields.length !== columns.length) {
      const message = `the row has ${record.fields.length} fields; the header has ${columns.length}`;
      emit({ kind: 'errors', errors: [{ line: record.line, path: 'row', message }], fatal: false });
      return;
    }
    const raw: RawRow = {};
    columns.forEach((field, i) => {
      raw[field] = record.fields[i];
    });
    emit({ kind: 'row', line: record.line, raw });
  }
}

import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { PayloadTooLarge } from '../lib/errors';
import type { RowEvent, RowReader } from './row-reader';
import { toCopyLine, validateRow, type RowError } from './rows';
import { Utf8Check } from './utf8-check';

/** At most this many row errors are kept and reported. */
export const MAX_REPORTED_ERRORS = 100;

/**
 * Request bytes in, COPY text lines out, one chunk at a time (so memory stays
 * flat whatever the upload's size). Counts bytes against `maxBytes` and fails
 * with PayloadTooLarge past it. After the first bad row it writes nothing more
 * but keeps reading, to collect errors and let the request finish cleanly.
 */
export class UploadEncoder extends Transform {
  readonly errors: RowError[] = [];
  private bytes = 0;
  private rows = 0;
  private readonly decoder = new StringDecoder('utf8');
  // The decoder alone would read invalid bytes as U+FFFD, and store them so.
  private readonly utf8 = new Utf8Check();
  private output = '';
  private utf8Reported = false;

  constructor(
    private readonly reader: RowReader,
    private readonly maxBytes: number,
    private readonly nowMs: number,
  ) {
    super({ readableHighWaterMark: 256 * 1024 });
  }

  /** Rows written out so far (valid rows before the first error). */
  get rowsEncoded(): number {
    return this.rows;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(new PayloadTooLarge(this.maxBytes));
      return;
    }
    // Once the report is full, or the bytes are no longer text, there is nothing left to learn from the rest.
    if (this.errors.length < MAX_REPORTED_ERRORS && this.isText(this.utf8.write(chunk))) {
      this.reader.push(this.decoder.write(chunk), this.onEvent);
    }
    this.flushOutput();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.errors.length < MAX_REPORTED_ERRORS && this.isText(this.utf8.end())) {
      this.reader.push(this.decoder.end(), this.onEvent);
      this.reader.end(this.onEvent);
    }
    this.flushOutput();
    done();
  }

  private flushOutput(): void {
    if (this.output === '') return;
    this.push(Buffer.from(this.output, 'utf8'));
    this.output = '';
  }

  /** Passes on the check's verdict, reporting the line of the first invalid byte once. */
  private isText(valid: boolean): boolean {
    if (!valid && !this.utf8Reported) {
      this.utf8Reported = true;
      this.addErrors([
        { line: this.utf8.invalidAt ?? 0, path: 'row', message: 'the file is not valid UTF-8 on this line' },
      ]);
    }
    return valid;
  }

  private readonly onEvent = (event: RowEvent): void => {
    if (event.kind === 'errors') {
      this.addErrors(event.errors);
      return;
    }
    const result = validateRow(event.raw, event.line, this.nowMs);
    if ('errors' in result) {
      this.addErrors(result.errors);
    } else if (this.errors.length === 0) {
      this.output += toCopyLine(result.row);
      this.rows++;
    }
  };

  private addErrors(errors: readonly RowError[]): void {
    for (const e of errors) {
      if (this.errors.length >= MAX_REPORTED_ERRORS) return;
      this.errors.push(e);
    }
  }
}

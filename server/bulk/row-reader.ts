import type { BulkField, RowError } from './rows';

/** One row's raw values by field, before validation. */
export type RawRow = Partial<Record<BulkField, unknown>>;

/**
 * What a reader reports: a row, problems with one row (reading goes on), or
 * problems that make the rest of the file unreadable (`fatal`: reading stops).
 */
export type RowEvent =
  | { readonly kind: 'row'; readonly line: number; readonly raw: RawRow }
  | { readonly kind: 'errors'; readonly errors: readonly RowError[]; readonly fatal: boolean };

/** An incremental reader of decoded text: `push` as chunks arrive, then `end` once. */
export interface RowReader {
  push(text: string, emit: (event: RowEvent) => void): void;
  end(emit: (event: RowEvent) => void): void;
}

/** Longest record or line accepted, so one endless line cannot grow memory (an unterminated quote, say). */
export const MAX_RECORD_CHARS = 65_536;

export const BOM = '\uFEFF';

/**
 * The bulk step's input: the same rows twice, once as the upload's CSV (site
 * codes) and once as a raw COPY's CSV (well ids resolved), written to disk
 * before any timing so neither contender pays for generating them.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { SEED_SCHEDULE } from '../../server/seed/generate';

export interface BulkWell {
  readonly id: string;
  readonly site_code: string;
}

export interface BulkFiles {
  readonly appCsv: string;
  readonly rawCsv: string;
  /** Size of the upload's file. */
  readonly appBytes: number;
}

const DAY_MS = 86_400_000;
/**
 * Seeded readings end during SEED_SCHEDULE's last day (2025-12-29): every bulk row is from the next
 * midnight on, so none collides with them, and the rows added can be deleted by date alone. Not
 * later: the app refuses readings more than a day in the future.
 */
const FROM_MS = Date.parse(`${SEED_SCHEDULE.endDate}T00:00:00Z`) + DAY_MS;
export const BULK_FROM = new Date(FROM_MS).toISOString();
const LINES_PER_WRITE = 5_000;

export const APP_HEADER = 'site_code,observed_at,depth_to_water_ft,method';
export const RAW_HEADER = 'well_id,observed_at,depth_to_water_ft,method';

/**
 * Row `i` (pure): wells take turns, and each well's readings are a second apart, so (well, instant)
 * is unique and even 1,000,000 rows on one well end within 12 days; depths stay inside the table's check.
 */
export function bulkRow(i: number, wells: readonly BulkWell[]): { app: string; raw: string } {
  const well = wells[i % wells.length] as BulkWell;
  const at = new Date(FROM_MS + Math.floor(i / wells.length) * 1_000).toISOString();
  const rest = `${at},${((i * 37) % 5_000) / 10 + 1},steel-tape`;
  return { app: `${well.site_code},${rest}`, raw: `${well.id},${rest}` };
}

async function writeAll(file: string, header: string, rows: number, line: (i: number) => string): Promise<number> {
  const out = fs.createWriteStream(file);
  const closed = once(out, 'close');
  try {
    let chunk = `${header}\n`;
    for (let i = 0; i < rows; i++) {
      chunk += `${line(i)}\n`;
      if ((i + 1) % LINES_PER_WRITE === 0 || i === rows - 1) {
        // Respect backpressure: a 1,000,000-row file must not sit in memory.
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
  } finally {
    out.end();
  }
  await closed;
  return fs.statSync(file).size;
}

export async function writeBulkFiles(dir: string, rows: number, wells: readonly BulkWell[]): Promise<BulkFiles> {
  if (wells.length === 0) throw new Error('no seeded wells to attach the bulk rows to');
  fs.mkdirSync(dir, { recursive: true });
  const appCsv = path.join(dir, `bulk-${rows}-upload.csv`);
  const rawCsv = path.join(dir, `bulk-${rows}-copy.csv`);
  const appBytes = await writeAll(appCsv, APP_HEADER, rows, (i) => bulkRow(i, wells).app);
  await writeAll(rawCsv, RAW_HEADER, rows, (i) => bulkRow(i, wells).raw);
  return { appCsv, rawCsv, appBytes };
}

/**
 * Step 5: bulk ingest through the app (`POST /api/v1/observations/bulk`)
 * against a raw `COPY` of the same rows into the same table, alternating.
 * Before every run the rows added are deleted and the table vacuumed, so each
 * run starts from the same table; the last clean-up leaves it as seeded.
 */
import fs from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { BenchSettings } from '../args';
import { benchKey, type BenchDatabase } from '../database';
import { APP_REQUEST_TIMEOUT_MS, type RunningApp } from '../processes';
import type { BulkAppRunJson, BulkJson, BulkRawRunJson } from '../result';
import { maxOf, median, pairedRatio, round2 } from '../stats';
import { BULK_FROM, writeBulkFiles, type BulkFiles, type BulkWell } from './bulk-files';
import { roundOrder } from './rounds';
import { sampleRss } from './rss';

/**
 * A minute plus a millisecond per row (generous for a loaded 2-core machine), and never longer
 * than the app itself lets a request run.
 */
export const bulkTimeoutMs = (rows: number): number => Math.min(60_000 + rows, APP_REQUEST_TIMEOUT_MS);

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const seconds = (since: number) => (performance.now() - since) / 1000;

async function storedRows(database: BenchDatabase): Promise<number> {
  return database.connect('bulk', async (db) => {
    const row = await db.one<{ n: number }>({
      text: 'SELECT count(*)::int AS n FROM observations WHERE observed_at >= $1',
      values: [BULK_FROM],
    });
    return row.n;
  });
}

async function resetTable(database: BenchDatabase): Promise<void> {
  await database.connect('bulk', async (db) => {
    await db.exec({ text: 'DELETE FROM observations WHERE observed_at >= $1', values: [BULK_FROM] });
    // Dead rows and stale statistics from the previous run would slow the next one's checks.
    await db.exec({ text: 'VACUUM ANALYZE observations' });
  });
}

/** Streams the CSV file to the app; resolves with the status and body once it has answered. */
function upload(
  app: RunningApp,
  file: string,
  key: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(app.origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        method: 'POST',
        path: '/api/v1/observations/bulk',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${key}` },
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body = (body + c).slice(0, 65_536)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    fs.createReadStream(file)
      .on('error', (err) => req.destroy(err))
      .pipe(req);
  });
}

/** A problem+json answer in one line: its detail and first few row errors. */
export function problemSummary(body: string): string {
  try {
    const problem = JSON.parse(body) as {
      detail?: string;
      errors?: { line?: number; path?: string; message?: string }[];
    };
    const errors = (problem.errors ?? []).slice(0, 3).map((e) => `line ${e.line} ${e.path}: ${e.message}`);
    return [problem.detail, ...errors].filter(Boolean).join('; ').slice(0, 500);
  } catch {
    return body.slice(0, 200);
  }
}

async function runUpload(
  app: RunningApp,
  database: BenchDatabase,
  files: BulkFiles,
  rows: number,
  key: string,
  round: number,
): Promise<BulkAppRunJson> {
  const rss = sampleRss(app.workerPids());
  const began = performance.now();
  let status = 0;
  let inserted = 0;
  let error: string | null = null;
  try {
    const answer = await upload(app, files.appCsv, key, bulkTimeoutMs(rows));
    status = answer.status;
    if (status === 201) inserted = Number((JSON.parse(answer.body) as { inserted?: unknown }).inserted ?? 0);
    else error = `HTTP ${status}: ${problemSummary(answer.body)}`;
  } catch (err) {
    error = message(err);
  }
  const took = seconds(began);
  // The worker that took the upload is the one that grew; the other only idled.
  const grown = rss.stop().sort((a, b) => b.peakKb - b.baselineKb - (a.peakKb - a.baselineKb))[0];
  const mb = (kb: number) => round2(kb / 1024);
  return {
    round,
    status,
    rows_sent: rows,
    rows_inserted: inserted,
    rows_stored: await storedRows(database),
    seconds: round2(took),
    rows_per_s: error === null ? round2(inserted / took) : 0,
    rss: grown
      ? {
          worker_pid: grown.pid,
          baseline_mb: mb(grown.baselineKb),
          peak_mb: mb(grown.peakKb),
          growth_mb: mb(grown.peakKb - grown.baselineKb),
        }
      : null,
    error,
  };
}

/** The same rows through pg-copy-streams on a plain client: no checks, no staging, the floor to compare with. */
async function runCopy(
  database: BenchDatabase,
  files: BulkFiles,
  rows: number,
  round: number,
): Promise<BulkRawRunJson> {
  const client = new pg.Client({ connectionString: database.url, application_name: 'bench:copy' });
  client.on('error', () => undefined); // reported through the failing COPY
  const began = performance.now();
  let copied = 0;
  let error: string | null = null;
  try {
    await client.connect();
    await client.query(`SET statement_timeout = ${bulkTimeoutMs(rows)}`);
    const stream = client.query(
      copyFrom(
        'COPY observations (well_id, observed_at, depth_to_water_ft, method) FROM STDIN (FORMAT csv, HEADER true)',
      ),
    );
    await pipeline(fs.createReadStream(files.rawCsv), stream);
    copied = stream.rowCount;
  } catch (err) {
    error = message(err);
  } finally {
    await client.end().catch(() => undefined);
  }
  const took = seconds(began);
  return {
    round,
    rows_sent: rows,
    rows_copied: copied,
    rows_stored: await storedRows(database),
    seconds: round2(took),
    rows_per_s: error === null ? round2(copied / took) : 0,
    error,
  };
}

export async function runBulk(opts: {
  readonly settings: BenchSettings;
  readonly app: RunningApp;
  readonly database: BenchDatabase;
  /** Where the CSV files are written; the caller deletes the folder. */
  readonly tmpDir: string;
  readonly progress: (line: string) => void;
}): Promise<BulkJson> {
  const { settings, app, database, progress } = opts;
  const rows = settings.bulkRows;
  const wells = await database.connect('bulk', (db) =>
    db.many<BulkWell>({
      text: "SELECT id, site_code FROM wells WHERE site_code LIKE 'SEED-%' ORDER BY id LIMIT $1",
      values: [settings.wells],
    }),
  );
  progress(`bulk: writing ${rows} rows over ${wells.length} wells to ${opts.tmpDir}`);
  const files = await writeBulkFiles(opts.tmpDir, rows, wells);
  const key = await benchKey(database, 'write');
  const appRuns: BulkAppRunJson[] = [];
  const rawRuns: BulkRawRunJson[] = [];
  try {
    for (let round = 0; round < settings.bulkRounds; round++) {
      for (const kind of roundOrder(['upload', 'copy'] as const, round)) {
        await resetTable(database);
        progress(`bulk round ${round + 1}/${settings.bulkRounds}: ${kind} of ${rows} rows`);
        if (kind === 'upload') {
          const run = await runUpload(app, database, files, rows, key, round + 1);
          appRuns.push(run);
          progress(
            `  upload: ${run.error ?? `${Math.round(run.rows_per_s)} rows/s, RSS growth ${run.rss?.growth_mb ?? '–'} MB`}`,
          );
        } else {
          const run = await runCopy(database, files, rows, round + 1);
          rawRuns.push(run);
          progress(`  raw COPY: ${run.error ?? `${Math.round(run.rows_per_s)} rows/s`}`);
        }
      }
    }
  } finally {
    await resetTable(database);
  }
  const ok = <T extends { error: string | null; rows_per_s: number }>(runs: readonly T[]) =>
    runs.map((r) => (r.error === null ? r.rows_per_s : NaN));
  const med = (values: number[]) => {
    const m = median(values);
    return m === null ? null : round2(m);
  };
  return {
    rows,
    rounds: settings.bulkRounds,
    wells: wells.length,
    csv_bytes: files.appBytes,
    app: {
      runs: appRuns,
      median_rows_per_s: med(ok(appRuns)),
      max_rss_growth_mb: maxOf(appRuns.filter((r) => r.error === null).map((r) => r.rss?.growth_mb)),
    },
    raw: { runs: rawRuns, median_rows_per_s: med(ok(rawRuns)) },
    ratio: pairedRatio(ok(appRuns), ok(rawRuns)),
  };
}

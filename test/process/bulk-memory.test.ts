import fs from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import { bearer, issueKey } from '../support/api-keys';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/ports';
import { reportFigures } from '../support/report';
import { ensureStopped, spawnServer, type SpawnedServer } from '../support/spawned-server';

// Generous: the machine is shared; the acceptance criterion is memory, not speed.
jest.setTimeout(420_000);

// npm test streams 200,000 rows to stay inside CI's time; the issue's 1,000,000-row figure is
// checked with BULK_MEMORY_ROWS=1000000 npx jest test/process/bulk-memory.test.ts (see README).
const ROWS = Number(process.env.BULK_MEMORY_ROWS ?? 200_000);
const WELLS = 10;
const MAX_GROWTH_MB = 50;

let database: TestDatabase;
let server: SpawnedServer | undefined;

beforeAll(async () => {
  database = await createTestDatabase('bulk_memory');
  await database.query((db) =>
    db.exec({
      text: `INSERT INTO wells (site_code, name, latitude, longitude)
             SELECT 'M-' || n, 'Well ' || n, 37.5, -100.5 FROM generate_series(0, $1::int - 1) AS n`,
      values: [WELLS],
    }),
  );
}, 180_000);
afterAll(async () => {
  await ensureStopped(server);
  await database.drop();
});

/** Resident set size of `pid` in kB, from /proc. */
function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** A CSV of `rows` distinct observations, generated as it is read: never held in memory. */
function generatedCsv(rows: number): Readable {
  const start = Date.parse('2000-01-01T00:00:00Z');
  let i = 0;
  let headerSent = false;
  return new Readable({
    read() {
      let out = headerSent ? '' : 'site_code,observed_at,depth_to_water_ft,method\n';
      headerSent = true;
      for (let n = 0; n < 2_000 && i < rows; n++, i++) {
        const at = new Date(start + Math.floor(i / WELLS) * 60_000).toISOString();
        out += `M-${i % WELLS},${at},${(i % 5000) / 10},steel-tape\n`;
      }
      this.push(out);
      if (i >= rows) this.push(null);
    },
  });
}

it(`streams ${ROWS} CSV rows into the database with flat worker memory`, async () => {
  const port = await freePort();
  server = spawnServer({
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    PORT: String(port),
    WEB_CONCURRENCY: '1',
    DB_CONNECTION_BUDGET: '4',
    DB_SAMPLE_DATA: 'false',
    // A loaded machine can take seconds per connection; the upload itself must fit the request timeout.
    DB_ACQUIRE_TIMEOUT_MS: '30000',
    HTTP_REQUEST_TIMEOUT_MS: '600000',
  });
  const ready = await server.waitForLog((l) => l.msg === 'worker ready', 60_000);
  const workerPid = ready.workerPid as number;
  const key = await issueKey(database, 'write');
  const [authName, authValue] = bearer(key);

  const baselineKb = rssKb(workerPid);
  let peakKb = baselineKb;
  const sampler = setInterval(() => {
    peakKb = Math.max(peakKb, rssKb(workerPid));
  }, 100);
  const startedAt = Date.now();
  let bytesSent = 0;
  const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/observations/bulk',
        headers: { 'Content-Type': 'text/csv', [authName]: authValue },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    const source = generatedCsv(ROWS);
    source.on('data', (chunk: Buffer) => (bytesSent += chunk.length));
    source.pipe(req);
  }).finally(() => clearInterval(sampler));
  const elapsedMs = Date.now() - startedAt;

  const growthMb = (peakKb - baselineKb) / 1024;
  reportFigures('bulk upload memory', {
    rows: ROWS,
    megabytesSent: Math.round(bytesSent / 1_048_576),
    elapsedMs,
    rowsPerS: Math.round((ROWS * 1000) / elapsedMs),
    baselineRssMb: Math.round(baselineKb / 1024),
    peakRssMb: Math.round(peakKb / 1024),
    growthMb: Math.round(growthMb * 10) / 10,
  });
  expect({ status: result.status, body: JSON.parse(result.body) as unknown }).toEqual({
    status: 201,
    body: { inserted: ROWS },
  });
  const stored = await database.query((db) =>
    db.one<{ n: number; wells: number }>({
      text: 'SELECT count(*)::int AS n, count(DISTINCT well_id)::int AS wells FROM observations',
    }),
  );
  expect(stored).toEqual({ n: ROWS, wells: WELLS });
  expect(growthMb).toBeLessThan(MAX_GROWTH_MB);
});

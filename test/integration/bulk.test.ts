import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { bearer } from '../support/api-keys';
import { useApiFixture } from '../support/api-fixture';
import { buildTestApp, type TestApp } from '../support/app';
import { expectProblem } from '../support/problem-assertions';

// The machine is shared and noisy; these bounds only stop a hung test.
jest.setTimeout(60_000);

const SMALL_LIMIT = 2_000;
const PATH = '/api/v1/observations/bulk';

// Generous acquire timeouts: on a loaded machine a new connection alone can take seconds.
const t = useApiFixture({ label: 'bulk', acquireTimeoutMs: 15_000, keys: ['write', 'read'], setupTimeoutMs: 180_000 });
let small: TestApp;

beforeAll(async () => {
  small = t.extraApp({ bulkMaxBytes: SMALL_LIMIT, acquireTimeoutMs: 15_000 });
  await t.database.query((db) =>
    db.exec({
      text: `INSERT INTO wells (site_code, name, latitude, longitude)
             SELECT 'W-' || n, 'Well ' || n, 37.5, -100.5 FROM generate_series(1, 3) AS n`,
    }),
  );
}, 180_000);

/** An app under test: the file's own, or one built here with other limits. */
type UploadTarget = Pick<TestApp, 'app' | 'db'>;

const upload = (contentType: string, body: string | Buffer, app: UploadTarget = t) =>
  request(app.app)
    .post(PATH)
    .set(...bearer(t.keys.write))
    .set('Content-Type', contentType)
    .send(body);
const csv = (body: string, app: UploadTarget = t) => upload('text/csv', body, app);
const ndjson = (body: string) => upload('application/x-ndjson', body);

interface StoredRow {
  site_code: string;
  observed_at: string;
  depth_to_water_ft: number;
  method: string;
  data_quality: string;
  observer: string | null;
  notes: string | null;
}

const storedRows = (where = 'TRUE') =>
  t.database.query((db) =>
    db.many<StoredRow>({
      text: `SELECT w.site_code, to_char(o.observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS observed_at,
                    o.depth_to_water_ft, o.method, o.data_quality, o.observer, o.notes
             FROM observations o JOIN wells w ON w.id = o.well_id WHERE ${where} ORDER BY o.observed_at, w.site_code`,
    }),
  );

/** Count and a hash of every stored observation, to prove a failed upload changed nothing. */
const snapshot = () =>
  t.database.query((db) =>
    db.one<{ n: number; h: string }>({
      text: `SELECT count(*)::int AS n, md5(coalesce(string_agg(o::text, '|' ORDER BY o.id), '')) AS h FROM observations o`,
    }),
  );

/** Nothing changed, and the pool still serves: every client back and idle, and a write goes through. */
async function expectUnchangedAndHealthy(before: { n: number; h: string }, app: UploadTarget = t): Promise<void> {
  expect(await snapshot()).toEqual(before);
  for (let i = 0; i < 50 && app.db.stats().idle !== app.db.stats().total; i++) await sleep(100);
  expect(app.db.stats().waiting).toBe(0);
  expect(app.db.stats().idle).toBe(app.db.stats().total);
  const ok = await csv('site_code,observed_at,depth_to_water_ft\nW-3,1900-01-01T00:00:00Z,1\n', app);
  expect(ok.status).toBe(201);
  await t.database.query((db) =>
    db.exec({ text: "DELETE FROM observations WHERE observed_at = '1900-01-01T00:00:00Z'" }),
  );
}

describe('POST /observations/bulk: valid files', () => {
  it('inserts every CSV row: columns in any order, quoting, CRLF, BOM, defaults and canonical terms', async () => {
    const file =
      '\uFEFFdepth_to_water_ft,observed_at,site_code,method,data_quality,observer,notes\r\n' +
      '12.5,2024-05-01T10:00:00Z,W-1,Steel Tape,APPROVED,"Doe, Jane","said ""dry""\r\nthen wet"\r\n' +
      '-3,2024-05-01 14:00+02,W-2,,,,\r\n' +
      '\r\n' +
      '1e2,2024-05-01T12:30:00.123-05:00,W-1,electric_tape,suspect,Sam,\r\n';
    const res = await csv(file);
    expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 201, body: { inserted: 3 } });
    expect(await storedRows("o.observed_at::date = '2024-05-01'")).toEqual([
      {
        site_code: 'W-1',
        observed_at: '2024-05-01T10:00:00.000Z',
        depth_to_water_ft: 12.5,
        method: 'steel-tape',
        data_quality: 'approved',
        observer: 'Doe, Jane',
        notes: 'said "dry"\r\nthen wet',
      },
      {
        site_code: 'W-2',
        observed_at: '2024-05-01T12:00:00.000Z',
        depth_to_water_ft: -3,
        method: 'unknown',
        data_quality: 'provisional',
        observer: null,
        notes: null,
      },
      {
        site_code: 'W-1',
        observed_at: '2024-05-01T17:30:00.123Z',
        depth_to_water_ft: 100,
        method: 'electric-tape',
        data_quality: 'suspect',
        observer: 'Sam',
        notes: null,
      },
    ]);
  });

  it('inserts every NDJSON row, skipping blank lines', async () => {
    const lines = [
      '{"site_code":"W-3","observed_at":"2024-06-01T00:00:00Z","depth_to_water_ft":7.25,"method":"airline","notes":"tab\\there"}',
      '',
      '   ',
      '{"site_code":"W-3","observed_at":"2024-06-02T00:00:00Z","depth_to_water_ft":"8","observer":null}\r',
    ];
    const res = await ndjson(`${lines.join('\n')}\n`);
    expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 201, body: { inserted: 2 } });
    expect(await storedRows("w.site_code = 'W-3' AND o.observed_at >= '2024-06-01'")).toEqual([
      {
        site_code: 'W-3',
        observed_at: '2024-06-01T00:00:00.000Z',
        depth_to_water_ft: 7.25,
        method: 'airline',
        data_quality: 'provisional',
        observer: null,
        notes: 'tab\there',
      },
      {
        site_code: 'W-3',
        observed_at: '2024-06-02T00:00:00.000Z',
        depth_to_water_ft: 8,
        method: 'unknown',
        data_quality: 'provisional',
        observer: null,
        notes: null,
      },
    ]);
  });

  it('accepts a header-only CSV as zero rows', async () => {
    const res = await csv('site_code,observed_at,depth_to_water_ft\n');
    expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 201, body: { inserted: 0 } });
  });
});

describe('POST /observations/bulk: bad files write nothing', () => {
  const header = 'site_code,observed_at,depth_to_water_ft,method\n';

  it.each([
    [
      'an unclosed quote',
      `${header}W-1,2024-07-01T00:00:00Z,1,\n"W-2,2024-07-01T00:00:00Z,1,\n`,
      [{ line: 3, path: 'row' }],
    ],
    [
      'a wrong field count',
      `${header}W-1,2024-07-01T00:00:00Z\nW-2,2024-07-01T00:00:00Z,1,\n`,
      [{ line: 2, path: 'row' }],
    ],
    [
      'an unknown column',
      'site_code,observed_at,depth_to_water_ft,colour\nW-1,2024-07-01T00:00:00Z,1,red\n',
      [{ line: 1, path: 'header' }],
    ],
    [
      'bad values',
      `${header}W-1,2024-07-01T00:00:00Z,1,\nW-1,2024-07-01T01:00:00,NaN,\nW-1,2024-07-01T02:00:00Z,Infinity,dowsing\n`,
      [
        { line: 3, path: 'observed_at', message: expect.stringMatching(/zone/) },
        { line: 3, path: 'depth_to_water_ft', message: expect.stringMatching(/finite/) },
        { line: 4, path: 'depth_to_water_ft' },
        { line: 4, path: 'method', message: expect.stringMatching(/one of: steel-tape, electric-tape/) },
      ],
    ],
    [
      'an unknown site_code',
      `${header}W-1,2024-07-01T00:00:00Z,1,\nW-404,2024-07-01T00:00:00Z,1,\n`,
      [{ line: 3, path: 'site_code', message: 'no well has site_code "W-404"' }],
    ],
    [
      'an unknown site_code next to a duplicate',
      `${header}W-1,2024-07-01T00:00:00Z,1,\nW-1,2024-07-01T00:00:00Z,2,\nW-404,2024-07-01T00:00:00Z,1,\n`,
      [
        { line: 3, path: 'observed_at' },
        { line: 4, path: 'site_code' },
      ],
    ],
  ])('%s → 400 with the lines', async (_name, file, errors) => {
    const before = await snapshot();
    const res = await csv(file);
    expectProblem(res, 400, 'validation-failed');
    expect(res.body.errors).toEqual(errors.map((e) => expect.objectContaining(e)));
    await expectUnchangedAndHealthy(before);
  });

  it('bytes that are not UTF-8, even in a free-text field → 400 naming their line', async () => {
    const before = await snapshot();
    const file = Buffer.concat([
      Buffer.from(
        'site_code,observed_at,depth_to_water_ft,notes\nW-1,2024-07-01T00:00:00Z,1,fine\nW-1,2024-07-02T00:00:00Z,1,x',
      ),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    const res = await upload('text/csv', file);
    expectProblem(res, 400, 'validation-failed');
    expect(res.body.errors).toEqual([{ line: 3, path: 'row', message: 'the file is not valid UTF-8 on this line' }]);
    await expectUnchangedAndHealthy(before);
  });

  it('NDJSON: a malformed line and an unknown key → 400 with the lines', async () => {
    const before = await snapshot();
    const res = await ndjson(
      '{"site_code":"W-1","observed_at":"2024-07-01T00:00:00Z","depth_to_water_ft":1}\n{oops\n\n{"site_code":"W-1","colour":1}\n',
    );
    expectProblem(res, 400, 'validation-failed');
    expect(res.body.errors).toEqual([
      { line: 2, path: 'row', message: 'the line is not valid JSON' },
      expect.objectContaining({ line: 4, path: 'colour' }),
    ]);
    await expectUnchangedAndHealthy(before);
  });

  it('duplicate rows within the file → 409 naming the repeated line', async () => {
    const before = await snapshot();
    const res = await csv(
      `${header}W-1,2024-08-01T00:00:00Z,1,\nW-2,2024-08-01T00:00:00Z,1,\nW-1,2024-08-01T02:00:00+02:00,2,\n`,
    );
    expectProblem(res, 409, 'duplicate-observations');
    expect(res.body.errors).toEqual([
      { line: 4, path: 'observed_at', message: 'line 2 already has this site_code and observed_at' },
    ]);
    await expectUnchangedAndHealthy(before);
  });

  it('a row duplicating a stored observation → 409', async () => {
    const before = await snapshot();
    const res = await csv(`${header}W-2,2024-09-01T00:00:00Z,1,\nW-1,2024-05-01T10:00:00Z,5,\n`);
    expectProblem(res, 409, 'duplicate-observations');
    expect(res.body.errors).toEqual([
      { line: 3, path: 'observed_at', message: expect.stringMatching(/already exists/) },
    ]);
    await expectUnchangedAndHealthy(before);
  });

  it('lists exactly the first 100 of 250 bad rows', async () => {
    const before = await snapshot();
    const rows = Array.from({ length: 250 }, (_, i) => `W-1,2024-10-01T00:00:${String(i % 60).padStart(2, '0')},1,\n`);
    const res = await csv(header + rows.join(''));
    expectProblem(res, 400, 'validation-failed');
    expect(res.body.errors).toHaveLength(100);
    expect(res.body.errors[0]).toMatchObject({ line: 2, path: 'observed_at' });
    expect(res.body.errors[99]).toMatchObject({ line: 101, path: 'observed_at' });
    await expectUnchangedAndHealthy(before);
  });

  it('lists exactly the first 100 of 250 duplicates found by the database', async () => {
    const before = await snapshot();
    const rows = Array.from({ length: 251 }, () => 'W-2,2024-11-01T00:00:00Z,1,\n');
    const res = await csv(header + rows.join(''));
    expectProblem(res, 409, 'duplicate-observations');
    expect(res.body.errors).toHaveLength(100);
    expect((res.body.errors as { line: number }[]).map((e) => e.line)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 3),
    );
    await expectUnchangedAndHealthy(before);
  });
});

describe('POST /observations/bulk: refused requests', () => {
  const rows = (n: number) =>
    'site_code,observed_at,depth_to_water_ft\n' +
    Array.from(
      { length: n },
      (_, i) =>
        `W-1,2023-01-01T00:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z,1\n`,
    ).join('');

  it('413 from Content-Length, before reading the body', async () => {
    const before = await snapshot();
    const body = rows(200);
    expect(Buffer.byteLength(body)).toBeGreaterThan(SMALL_LIMIT);
    const res = await csv(body, small);
    expectProblem(res, 413, 'payload-too-large');
    await expectUnchangedAndHealthy(before, small);
  });

  it('413 while streaming a chunked upload past the limit', async () => {
    const before = await snapshot();
    const server = http.createServer(small.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: PATH,
            headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${t.keys.write}` },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => {
          // The server may close the socket while we still write; the response is what counts.
          if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
        });
        const lines = rows(400).split(/(?<=\n)/);
        let i = 0;
        const writeSome = () => {
          if (i >= lines.length || req.destroyed) return void req.end();
          req.write(lines.slice(i, i + 20).join(''));
          i += 20;
          setTimeout(writeSome, 5);
        };
        writeSome();
      });
      expect(result.status).toBe(413);
      expect(JSON.parse(result.body)).toMatchObject({ type: 'urn:aquifer:problem:payload-too-large' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await expectUnchangedAndHealthy(before, small);
  });

  it('writes nothing and keeps the pool healthy when the client aborts mid-upload', async () => {
    const before = await snapshot();
    const server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: PATH,
        headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${t.keys.write}` },
      });
      req.on('error', () => undefined);
      req.write(rows(300));
      // Long enough for the server to have started the COPY.
      await sleep(1_000);
      req.destroy();
      await sleep(500);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await expectUnchangedAndHealthy(before);
  });

  it('releases its connection when the client left while its key was still being checked', async () => {
    // One pooled connection, held by the test, so the key lookup queues until the client is gone.
    const one = buildTestApp(t.database.url, { poolSize: 1, acquireTimeoutMs: 10_000 });
    const before = await snapshot();
    const server = http.createServer(one.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const hold = one.db.withTransaction(() => sleep(1_500));
      await sleep(100);
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: PATH,
        headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${t.keys.write}` },
      });
      req.on('error', () => undefined);
      req.write(rows(10));
      await sleep(500);
      expect(one.db.stats().waiting).toBe(1);
      req.destroy();
      await hold;
      await expectUnchangedAndHealthy(before, one);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await one.close();
    }
  });

  it('415 for another content type', async () => {
    const res = await upload('application/json', '{"site_code":"W-1"}');
    expectProblem(res, 415, 'unsupported-media-type');
  });

  it('401 without a key, 403 with a read key', async () => {
    const before = await snapshot();
    const body = 'site_code,observed_at,depth_to_water_ft\nW-1,2023-02-01T00:00:00Z,1\n';
    expectProblem(await request(t.app).post(PATH).set('Content-Type', 'text/csv').send(body), 401, 'unauthorized');
    expectProblem(
      await request(t.app)
        .post(PATH)
        .set(...bearer(t.keys.read))
        .set('Content-Type', 'text/csv')
        .send(body),
      403,
      'forbidden',
    );
    await expectUnchangedAndHealthy(before);
  });
});

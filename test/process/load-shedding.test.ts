import http from 'node:http';
import { bearer, issueKey } from '../support/api-keys';
import { reportFigures } from '../support/report';
import { useServerFixture } from '../support/server-fixture';

jest.setTimeout(90_000);

const CLIENTS = 20;

const f = useServerFixture('load_shedding', 400);

interface Timed {
  readonly status: number;
  readonly ms: number;
  readonly retryAfter: string | undefined;
  readonly type: string | undefined;
}

function timedGet(port: number, path: string): Promise<Timed> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          retryAfter: res.headers['retry-after'],
          type: res.statusCode === 503 ? (JSON.parse(body) as { type?: string }).type : undefined,
        }),
      );
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

it('answers 503 queue-full with Retry-After within milliseconds once the queue is full, and serves the rest', async () => {
  const { server, port } = await f.start({
    WEB_CONCURRENCY: '1',
    DB_CONNECTION_BUDGET: '1',
    DB_MAX_QUEUE: '2',
    // Far longer than any request here: a 503 must come from the full queue, not from a timeout.
    DB_ACQUIRE_TIMEOUT_MS: '20000',
  });
  const [authName, authValue] = bearer(await issueKey(f.database, 'write'));

  // A bulk upload whose client keeps the body open holds the one connection (its COPY waits for rows).
  const upload = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/v1/observations/bulk',
    headers: { 'Content-Type': 'text/csv', [authName]: authValue },
  });
  const uploadDone = new Promise<number>((resolve, reject) => {
    upload.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    upload.on('error', reject);
  });
  upload.write('site_code,observed_at,depth_to_water_ft\n');
  await new Promise((resolve) => setTimeout(resolve, 500));

  // Two requests fill the queue; every one after them is shed.
  const results = Promise.all(Array.from({ length: CLIENTS }, () => timedGet(port, '/api/v1/wells?limit=5')));
  // Let them all arrive, then release the connection so the two queued ones finish.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  upload.end();
  expect(await uploadDone).toBe(201);
  const all = await results;
  const ok = all.filter((r) => r.status === 200);
  const shed = all.filter((r) => r.status === 503);

  // The worker's own timing (the access line's responseTime, arrival to response), without the client's connect time.
  const serverMs = (status: number) =>
    (server?.logs ?? [])
      .filter((l) => (l.res as { status?: number } | undefined)?.status === status)
      .map((l) => l.responseTime as number)
      .sort((a, b) => a - b);
  const shedServerMs = serverMs(503);
  reportFigures('load shedding', {
    clients: CLIENTS,
    ok: ok.length,
    shed: shed.length,
    workerShedMedianMs: shedServerMs[Math.floor(shedServerMs.length / 2)],
    workerShedMaxMs: shedServerMs.at(-1),
    queuedOkMinMs: Math.round(Math.min(...ok.map((r) => r.ms))),
  });

  expect(ok).toHaveLength(2);
  expect(shed).toHaveLength(CLIENTS - 2);
  for (const r of shed) {
    expect(r.type).toBe('urn:aquifer:problem:queue-full');
    expect(r.retryAfter).toBe('1');
  }
  // Shed at once: a few milliseconds in the worker, while the two queued requests waited ~1 s.
  expect(shedServerMs).toHaveLength(CLIENTS - 2);
  expect(shedServerMs[Math.floor(shedServerMs.length / 2)]).toBeLessThan(50);
  expect(Math.min(...ok.map((r) => r.ms))).toBeGreaterThan(500);
});

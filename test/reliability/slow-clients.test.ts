import http from 'node:http';
import net from 'node:net';
import { bearer, issueKey } from '../support/api-keys';
import { reportFigures } from '../support/report';
import { useServerFixture } from '../support/server-fixture';
import { waitFor } from '../support/wait-for';

/**
 * Slowloris against the built server: clients that trickle their headers are
 * cut off by HTTP_HEADERS_TIMEOUT_MS, clients that trickle a body (a JSON write,
 * or a bulk upload that holds a database connection) by HTTP_REQUEST_TIMEOUT_MS,
 * and everyone else is served meanwhile.
 *
 * Node enforces both timeouts only when it sweeps its connections, every
 * `connectionsCheckingInterval` (30 s by default), so without a shorter interval
 * a cut can come up to 30 s late. Each case runs two rounds back to back: one
 * round can land just before a sweep by luck, two within seconds of each other
 * cannot both, so a 30 s sweep fails this test every time.
 */
jest.setTimeout(180_000);

const HEADERS_TIMEOUT_MS = 1_500;
const REQUEST_TIMEOUT_MS = 3_000;
// How late a cut may be: a sweep interval of at most 1 s, plus a busy 2-core machine's delays.
const SWEEP_MS = 1_000;
const SLACK_MS = 1_500;
// Past this a cut counts as missing; both rounds still fit well inside one 30 s sweep.
const GIVE_UP_MS = REQUEST_TIMEOUT_MS + SWEEP_MS + SLACK_MS + 3_000;
const SLOW_SOCKETS = 10;

const f = useServerFixture('slow_clients', 20);

interface Cut {
  /** From connecting until the server closed the socket; null if it never did. */
  readonly ms: number | null;
  /** The status line the server sent before closing, if any. */
  readonly statusLine: string | null;
}

/** Connects, writes `head`, then one `drip` every `everyMs` until the server closes the socket. */
function trickle(port: number, head: string, drip: string, everyMs = 200): Promise<Cut> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => socket.destroy(), GIVE_UP_MS + 50);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => socket.writable && socket.write(drip), everyMs);
    });
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      const ms = Math.round(performance.now() - started);
      resolve({
        ms: ms < GIVE_UP_MS ? ms : null,
        statusLine: received === '' ? null : (received.split('\r\n')[0] ?? null),
      });
    });
  });
}

interface Probes {
  stop(): Promise<{ statuses: Record<number, number>; errors: number; maxMs: number }>;
}

/** Well-behaved clients: one read every 100 ms on a fresh connection, each timed. */
function probe(port: number): Probes {
  let running = true;
  const statuses: Record<number, number> = {};
  let errors = 0;
  let maxMs = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const status = await new Promise<number | null>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/wells?limit=5', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.setTimeout(10_000, () => req.destroy());
        req.on('error', () => resolve(null));
      });
      maxMs = Math.max(maxMs, Math.round(performance.now() - started));
      if (status === null) errors++;
      else statuses[status] = (statuses[status] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { statuses, errors, maxMs };
    },
  };
}

async function startServer() {
  return f.start({
    WEB_CONCURRENCY: '1',
    DB_CONNECTION_BUDGET: '2',
    HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
    HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  });
}

const figures: Record<string, unknown> = {
  headers_timeout_ms: HEADERS_TIMEOUT_MS,
  request_timeout_ms: REQUEST_TIMEOUT_MS,
};
afterAll(() => reportFigures('slow-clients', figures));

/** When the cut came, and whether that was within [timeout − 100 ms, timeout + sweep + slack]. */
function expectCutAt(cut: Cut, timeoutMs: number, statusLine: string | null): void {
  const ms = cut.ms ?? `not cut within ${GIVE_UP_MS} ms`;
  const onTime = typeof ms === 'number' && ms >= timeoutMs - 100 && ms <= timeoutMs + SWEEP_MS + SLACK_MS;
  expect({ ms, onTime, statusLine: cut.statusLine }).toEqual({ ms, onTime: true, statusLine });
}

const summary = (cuts: readonly Cut[]) => {
  const ms = cuts.flatMap((c) => (c.ms === null ? [] : [c.ms])).sort((a, b) => a - b);
  return {
    cut: `${ms.length} of ${cuts.length}`,
    min_ms: ms[0] ?? null,
    max_ms: ms[ms.length - 1] ?? null,
    status_lines: [...new Set(cuts.map((c) => c.statusLine))],
  };
};

it('cuts off clients trickling their headers at the headers timeout, and serves others meanwhile', async () => {
  const { port } = await startServer();
  const probes = probe(port);
  const rounds: Cut[][] = [];
  let served: Awaited<ReturnType<typeof probes.stop>>;
  try {
    for (let round = 0; round < 2; round++) {
      rounds.push(
        await Promise.all(
          Array.from({ length: SLOW_SOCKETS }, (_, i) =>
            trickle(port, `GET /api/v1/wells HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-${i}: `, 'x'),
          ),
        ),
      );
    }
  } finally {
    // Also when a round failed: the probes may not run on after the test.
    served = await probes.stop();
  }
  figures.headers = { rounds: rounds.map(summary), probes: served };
  for (const cuts of rounds) {
    // Not before the timeout (its clock starts at the first byte), and not much after it.
    for (const cut of cuts) expectCutAt(cut, HEADERS_TIMEOUT_MS, 'HTTP/1.1 408 Request Timeout');
  }
  expect(served.errors).toBe(0);
  expect(Object.keys(served.statuses)).toEqual(['200']);
  expect(served.maxMs).toBeLessThan(2_000);
});

it('cuts off clients trickling a body at the request timeout, frees the upload’s connection, and serves others meanwhile', async () => {
  const { port } = await startServer();
  const key = await issueKey(f.database, 'write');
  const [authName, authValue] = bearer(key);
  const post = (path: string, type: string, length: number) =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${authName}: ${authValue}\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`;
  const copies = () =>
    f.database.query((db) =>
      db.one<{ n: number }>({
        text: "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE 'COPY %'",
        values: [f.database.name],
      }),
    );
  const probes = probe(port);
  const rounds: { json: Cut; bulk: Cut; copiesMidway: number }[] = [];
  let served: Awaited<ReturnType<typeof probes.stop>>;
  try {
    for (let round = 0; round < 2; round++) {
      const cuts = Promise.all([
        trickle(port, `${post('/api/v1/wells', 'application/json', 10_000)}{"name":"`, 'x'),
        // A bulk upload streams into COPY as it arrives, so this one holds a database connection throughout.
        trickle(
          port,
          `${post('/api/v1/observations/bulk', 'text/csv', 100_000)}site_code,observed_at,depth_to_water_ft\n`,
          ' ',
        ),
      ]);
      await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS / 2));
      const { n: copiesMidway } = await copies();
      const [json, bulk] = await cuts;
      rounds.push({ json, bulk, copiesMidway });
    }
  } finally {
    served = await probes.stop();
  }
  // Once cut off, the upload's COPY ends and its connection goes back to the pool.
  await waitFor(async () => (await copies()).n === 0, 5_000);
  // And a whole upload is served after them.
  const site = await f.database.query((db) =>
    db.one<{ site_code: string }>({ text: 'SELECT site_code FROM wells ORDER BY id LIMIT 1' }),
  );
  const csv = `site_code,observed_at,depth_to_water_ft\n${site.site_code},2001-02-03T04:05:06Z,12.5\n`;
  const upload = await new Promise<number>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/v1/observations/bulk',
      agent: false,
      timeout: 10_000,
      headers: { [authName]: authValue, 'Content-Type': 'text/csv', 'Content-Length': Buffer.byteLength(csv) },
    });
    req.on('timeout', () => req.destroy(new Error('the upload after the cut-offs got no answer within 10 s')));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(csv);
  });
  figures.body = {
    json: summary(rounds.map((r) => r.json)),
    bulk: summary(rounds.map((r) => r.bulk)),
    copies_midway: rounds.map((r) => r.copiesMidway),
    probes: served,
    upload_after: upload,
  };
  expect(rounds.map((r) => r.copiesMidway)).toEqual([1, 1]);
  for (const cut of rounds.flatMap((r) => [r.json, r.bulk])) {
    expectCutAt(cut, REQUEST_TIMEOUT_MS, 'HTTP/1.1 408 Request Timeout');
  }
  expect(served.errors).toBe(0);
  expect(Object.keys(served.statuses)).toEqual(['200']);
  expect(served.maxMs).toBeLessThan(2_000);
  expect(upload).toBe(201);
});

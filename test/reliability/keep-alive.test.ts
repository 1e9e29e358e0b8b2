import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../config';
import { openRawConnection, type RawConnection } from '../support/raw-http';
import { reportFigures } from '../support/report';
import { useServerFixture } from '../support/server-fixture';

jest.setTimeout(60_000);

const KEEP_ALIVE_MS = 1_500;
/** How long each client idles before reusing its socket: just under the server's timeout. */
const IDLE_MS = KEEP_ALIVE_MS - 200;
const SOCKETS = 5;
const ROUNDS = 6;
/** What Node 20.20 adds to keepAliveTimeout before it closes an idle socket (not configurable). */
const NODE_KEEP_ALIVE_BUFFER_MS = 1_000;
/** A typical load balancer's idle timeout (AWS ALB, nginx upstream keepalive): ours must outlast it. */
const BALANCER_IDLE_MS = 60_000;

const f = useServerFixture('keep_alive', 20);

const start = () =>
  f.start({
    WEB_CONCURRENCY: '2',
    DB_CONNECTION_BUDGET: '4',
    HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
    HTTP_HEADERS_TIMEOUT_MS: String(KEEP_ALIVE_MS + 1_000),
  });

it('keeps a socket that idles just under HTTP_KEEP_ALIVE_TIMEOUT_MS open: every reuse answered, 0 resets', async () => {
  const { port } = await start();
  const idles: number[] = [];
  const outcomes = await Promise.all(
    Array.from({ length: SOCKETS }, async (_, s) => {
      const conn = await openRawConnection(port);
      const statuses: number[] = [];
      const failures: string[] = [];
      let keepAliveHeader: string | undefined;
      try {
        let answeredAt = 0;
        for (let round = 0; round <= ROUNDS; round++) {
          if (round > 0) {
            await sleep(IDLE_MS);
            idles.push(Date.now() - answeredAt);
          }
          // A database read and a probe, alternately: the timeout is the HTTP server's, whatever the route.
          const path = (s + round) % 2 === 0 ? `/api/v1/wells/${(round % 20) + 1}` : '/livez';
          const res = await conn.get(path).catch((err: Error) => err);
          answeredAt = Date.now();
          if (res instanceof Error) failures.push(res.message);
          else {
            statuses.push(res.status);
            keepAliveHeader = res.headers['keep-alive'];
          }
        }
        return { statuses, failures, keepAliveHeader, closedAt: conn.closedAt };
      } finally {
        conn.destroy();
      }
    }),
  );
  const reuses = outcomes.reduce((n, o) => n + o.statuses.length + o.failures.length - 1, 0);
  const resets = outcomes.reduce((n, o) => n + o.failures.length, 0);
  reportFigures('keep-alive reuse just under the timeout', {
    keepAliveTimeoutMs: KEEP_ALIVE_MS,
    idleTargetMs: IDLE_MS,
    idleMeasuredMs: { min: Math.min(...idles), max: Math.max(...idles) },
    sockets: SOCKETS,
    reuses,
    resets,
    failures: outcomes.flatMap((o) => o.failures),
  });

  expect(reuses).toBe(SOCKETS * ROUNDS);
  expect(resets).toBe(0);
  for (const o of outcomes) {
    expect(o.statuses).toEqual(Array(ROUNDS + 1).fill(200));
    // Still open at the end: the server never closed any of them.
    expect(o.closedAt).toBeNull();
    // Node announces the timeout it applies, in whole seconds.
    expect(o.keepAliveHeader).toBe(`timeout=${Math.floor(KEEP_ALIVE_MS / 1000)}`);
  }
  // The sleeps really stayed under the timeout (a starved test process would make this test meaningless).
  expect(Math.max(...idles)).toBeLessThan(KEEP_ALIVE_MS);
});

it('closes a socket idle past HTTP_KEEP_ALIVE_TIMEOUT_MS, so the setting is really applied', async () => {
  const { port } = await start();
  const conns: RawConnection[] = await Promise.all(Array.from({ length: 3 }, () => openRawConnection(port)));
  try {
    const idleUntilClosed = await Promise.all(
      conns.map(async (conn) => {
        expect((await conn.get('/livez')).status).toBe(200);
        const answeredAt = Date.now();
        const closedAt = await Promise.race([conn.closed, sleep(KEEP_ALIVE_MS * 4).then(() => Infinity)]);
        return closedAt - answeredAt;
      }),
    );
    const afterClose = await conns[0]?.get('/livez').catch((err: Error) => err);
    reportFigures('keep-alive socket idle past the timeout', { keepAliveTimeoutMs: KEEP_ALIVE_MS, idleUntilClosed });

    for (const ms of idleUntilClosed) {
      // Node 20.20 closes at the timeout plus a fixed 1 s it keeps in hand (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER
      // in lib/_http_server.js) while it advertises the timeout itself: so 2.5 s here, and never Node's 5 s + 1 s.
      expect(ms).toBeGreaterThanOrEqual(KEEP_ALIVE_MS);
      expect(ms).toBeLessThan(KEEP_ALIVE_MS + NODE_KEEP_ALIVE_BUFFER_MS + 1_000);
    }
    expect(afterClose).toBeInstanceOf(Error);
  } finally {
    for (const conn of conns) conn.destroy();
  }
});

it('defaults keep sockets open longer than a load balancer idles them, and headers longer still', () => {
  const { http } = loadConfig({});
  reportFigures('keep-alive defaults', {
    keepAliveTimeoutMs: http.keepAliveTimeoutMs,
    headersTimeoutMs: http.headersTimeoutMs,
  });
  // The balancer must be the one to close an idle connection, never the server under a request it sends.
  expect(http.keepAliveTimeoutMs).toBeGreaterThan(BALANCER_IDLE_MS);
  expect(http.headersTimeoutMs).toBeGreaterThan(http.keepAliveTimeoutMs);
});

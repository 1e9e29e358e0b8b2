import express from 'express';
import request from 'supertest';
import { createDatabase } from '../../server/lib/db';
import { problemMiddleware } from '../../server/lib/problem-middleware';
import { setCurrentRoute } from '../../server/lib/request-context';
import { requestEnvelope } from '../../server/lib/request-envelope';
import { useApiFixture } from '../support/api-fixture';
import { sampleActivity } from '../support/activity';
import { captureLogs } from '../support/log-capture';
import { expectProblem } from '../support/problem-assertions';
import { poolerOptions, throughPgbouncer } from '../support/env';

jest.setTimeout(60_000);

const HOLD_S = 1;

/** The access-log line is written on 'finish', which can trail the response reaching the client. */
async function waitForLine<T>(find: () => T | undefined, timeoutMs = 1_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let found = find(); ; found = find()) {
    if (found !== undefined || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Statements straight on the app's pool that keep its connections busy for HOLD_S. */
const hold = (db: { exec(sql: { text: string }): Promise<number> }, n: number) =>
  Array.from({ length: n }, () => db.exec({ text: `SELECT pg_sleep(${HOLD_S})` }));

/** Runs `statement` `n` times at once: each one's outcome ('served' or the error's name) and when it settled. */
function atOnce(n: number, statement: () => Promise<unknown>): Promise<{ outcome: string; ms: number }[]> {
  const started = Date.now();
  return Promise.all(
    Array.from({ length: n }, () =>
      statement().then(
        () => ({ outcome: 'served', ms: Date.now() - started }),
        (err: unknown) => ({ outcome: err instanceof Error ? err.name : String(err), ms: Date.now() - started }),
      ),
    ),
  );
}

describe('load shedding: a full wait queue answers 503 at once', () => {
  // One connection, two waiters allowed, a long acquire timeout: a third waiter is shed, not timed out.
  const t = useApiFixture({
    label: 'pool_pressure',
    poolSize: 1,
    maxQueue: 2,
    acquireTimeoutMs: 20_000,
    readinessFailWhenSaturatedMs: 200,
  });

  it('sheds a request needing the database with 503 queue-full and Retry-After, in milliseconds', async () => {
    await t.db.exec({ text: 'SELECT 1' }); // the pool's one connection exists
    const busy = hold(t.db, 3); // one runs, two wait: the queue is full
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(t.db.stats()).toMatchObject({ max: 1, total: 1, idle: 0, waiting: 2 });

    const started = Date.now();
    const res = await request(t.app).get('/api/v1/wells');
    const elapsedMs = Date.now() - started;
    expectProblem(res, 503, 'queue-full');
    expect(res.headers['retry-after']).toBe('1');
    // Logged at warn, not error: under overload every shed request would otherwise page someone.
    const line = await waitForLine(() => t.logs.find((l) => l.reqId === res.headers['x-request-id']));
    expect(line).toMatchObject({ level: 40 });
    // Far below the 20 s acquire timeout: it never queued.
    expect(elapsedMs).toBeLessThan(1_000);

    // Readiness turns 503 once the queue has stayed full for READINESS_FAIL_WHEN_SATURATED_MS (200 here).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const saturated = await request(t.app).get('/readyz');
    expectProblem(saturated, 503, 'saturated');
    expect(saturated.headers['retry-after']).toBe('1');

    await Promise.all(busy);
    // Queue drained: served again, and readiness is back.
    await request(t.app).get('/api/v1/wells').expect(200);
    const ready = await request(t.app).get('/readyz').expect(200);
    expect(ready.body.pool).toMatchObject({ waiting: 0, queueFullMs: 0 });
  });

  it('never sheds while a connection is idle, however many requests arrive at once', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 3 }, () =>
        request(t.app)
          .get('/api/v1/wells')
          .then((r) => r.status),
      ),
    );
    // One connection, two may wait: three at once all fit.
    expect(statuses).toEqual([200, 200, 200]);
  });
});

describe('load shedding by expected wait: a queue that could never be served in time', () => {
  // One connection and a queue far too long to fill: only the hold times can shed here.
  const t = useApiFixture({ label: 'pool_wait', poolSize: 1, maxQueue: 1_000, acquireTimeoutMs: 1_500 });

  it('sheds at once the requests that would wait past the acquire timeout, and serves the rest', async () => {
    // Teach the pool that a checkout holds its connection about 250 ms.
    for (let i = 0; i < 3; i++) await t.db.exec({ text: 'SELECT pg_sleep(0.25)' });
    // Twelve at once: the k-th to wait expects about (k + 1) × 250 ms, past 1,500 ms from the sixth on.
    const outcomes = await atOnce(12, () => t.db.exec({ text: 'SELECT pg_sleep(0.25)' }));
    const shed = outcomes.filter((o) => o.outcome === 'PoolSaturatedError');
    const served = outcomes.filter((o) => o.outcome === 'served');
    // Before the estimate, nothing was shed below DB_MAX_QUEUE: these waited into a timeout instead.
    expect(shed.length).toBeGreaterThanOrEqual(3);
    for (const o of shed) expect(o.ms).toBeLessThan(200);
    // The first few were never in doubt.
    expect(served.length).toBeGreaterThanOrEqual(3);
  });
});

describe('load shedding when the database stalls: nothing finishes to tell the mean', () => {
  const t = useApiFixture({ label: 'pool_stall', poolSize: 2, maxQueue: 1_000, acquireTimeoutMs: 1_500 });

  it('counts how long the held connections have been held, and sheds before the acquire timeout', async () => {
    await t.db.exec({ text: 'SELECT 1' }); // the mean hold so far: about a millisecond
    const stalled = hold(t.db, 2); // both connections, held for HOLD_S (a stall, as far as the pool can tell)
    await new Promise((resolve) => setTimeout(resolve, 800));
    const outcomes = await atOnce(6, () => t.db.exec({ text: 'SELECT 1' }));
    await Promise.all(stalled);
    // Held 800 ms already, 2 at a time: from the fourth waiter on, the wait would pass 1,500 ms.
    const shed = outcomes.filter((o) => o.outcome === 'PoolSaturatedError');
    expect(shed.length).toBeGreaterThanOrEqual(2);
    for (const o of shed) expect(o.ms).toBeLessThan(200);
    expect(outcomes.filter((o) => o.outcome === 'served').length).toBeGreaterThanOrEqual(1);
  });
});

describe('slow-statement log', () => {
  const t = useApiFixture({ label: 'slow_statements' });

  it('logs a slow statement with its text, duration, route and request id, never its parameters', async () => {
    const { logger, logs } = captureLogs();
    const db = createDatabase({
      connectionString: t.database.url,
      applicationName: 'aquifer:test-slow',
      max: 1,
      acquireTimeoutMs: 5_000,
      statementTimeoutMs: 5_000,
      idleTimeoutMs: 1_000,
      maxLifetimeS: 0,
      ...poolerOptions(),
      maxQueue: 10,
      slowQueryMs: 50,
      logger,
    });
    try {
      const app = express();
      app.use(requestEnvelope({ logger: logger, headers: [], isShuttingDown: () => false }));
      app.get('/slow', async (_req, res) => {
        setCurrentRoute('GET /slow');
        await db.exec({ text: 'SELECT pg_sleep(0.1), $1::text AS secret', values: ['hunter2-parameter'] });
        await db.exec({ text: 'SELECT $1::text AS quick', values: ['also-not-logged'] });
        res.json({ ok: true });
      });
      app.use(problemMiddleware({}));

      const res = await request(app).get('/slow').set('X-Request-Id', 'slow-1').expect(200);
      expect(res.body).toEqual({ ok: true });
      const slow = logs.filter((l) => l.msg === 'slow statement');
      expect(slow).toHaveLength(1);
      expect(slow[0]).toMatchObject({
        level: 40,
        statement: 'SELECT pg_sleep(0.1), $1::text AS secret',
        route: 'GET /slow',
        requestId: 'slow-1',
        failed: false,
      });
      expect(slow[0]?.durationMs).toBeGreaterThanOrEqual(90);
      expect(JSON.stringify(logs)).not.toMatch(/hunter2|also-not-logged/);

      // Outside any request: still logged, with no route or request id.
      await db.exec({ text: 'SELECT pg_sleep(0.06)' });
      const outside = logs.filter((l) => l.msg === 'slow statement').at(-1);
      expect(outside).toMatchObject({ statement: 'SELECT pg_sleep(0.06)' });
      expect(outside?.route).toBeUndefined();
      expect(outside?.requestId).toBeUndefined();
    } finally {
      await db.end();
    }
  });
});

describe('resizing the pool while it serves', () => {
  const t = useApiFixture({ label: 'pool_resize', poolSize: 4, acquireTimeoutMs: 20_000 });

  const backends = () =>
    t.database.query((db) =>
      db.one<{ n: number }>({
        text: "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'aquifer:test-w0'",
      }),
    );

  // Behind PgBouncer the server connections are PgBouncer's, kept to its own pool (test/reliability/pgbouncer-hosts).
  (throughPgbouncer() ? it.skip : it)(
    'shrinks by closing connections as they come back, and never opens more than the new size',
    async () => {
      const busy = hold(t.db, 4);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(t.db.stats()).toMatchObject({ max: 4, total: 4 });

      const sampler = sampleActivity(t.database.url, t.database.name, 'aquifer:test-w0', 20);
      const shrinking = t.db.resize(2, 10_000);
      expect(t.db.stats().max).toBe(2);
      await shrinking;
      // A backend leaves pg_stat_activity a moment after its client closes.
      const shrunkAt = Date.now() + 100;
      expect(t.db.stats().total).toBeLessThanOrEqual(2);
      await Promise.all(busy);

      // Six statements at once on a pool of two: two backends, the rest queue.
      const queued = hold(t.db, 6);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(t.db.stats()).toMatchObject({ max: 2, total: 2, waiting: 4 });
      await Promise.all(queued);
      const samples = await sampler.stop();
      // After the shrink resolved, the database never saw more than two (sampled every 20 ms).
      const after = samples.filter((s) => s.at >= shrunkAt);
      expect(after.length).toBeGreaterThan(10);
      expect(Math.max(...after.map((s) => s.total))).toBe(2);
      expect((await backends()).n).toBeLessThanOrEqual(2);
    },
  );

  it('grows at once: new connections open for every waiting request the new size has room for', async () => {
    await t.db.resize(1, 10_000);
    const queued = hold(t.db, 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.db.stats()).toMatchObject({ total: 1, waiting: 4 });
    await t.db.resize(4, 10_000);
    // Three of the four waiters get a connection now, not one per statement that ends.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.db.stats()).toMatchObject({ max: 4, total: 4, waiting: 1 });
    await Promise.all(queued);
    expect(t.db.stats().total).toBeLessThanOrEqual(4);
  });

  it('closes idle connections at once when shrinking', async () => {
    await t.db.resize(4, 10_000);
    await Promise.all(hold(t.db, 4).map((p) => p.catch(() => undefined)));
    expect(t.db.stats()).toMatchObject({ total: 4, idle: 4 });
    const started = Date.now();
    await t.db.resize(1, 10_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(t.db.stats()).toMatchObject({ max: 1, total: 1 });
  });
});

import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../server/lib/embedded-postgres';
import { buildTestApp, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/ports';

jest.setTimeout(60_000);

const READINESS_TIMEOUT_MS = 500;

function expectUnavailable(res: request.Response, code: string): void {
  expect(res.status).toBe(503);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.type).toBe(`urn:aquifer:problem:${code}`);
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(res.body.request_id).toBe(res.headers['x-request-id']);
}

describe('GET /readyz against the shared test database', () => {
  let database: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase('readyz');
    t = buildTestApp(database.url, { readinessTimeoutMs: READINESS_TIMEOUT_MS });
    // Open a pooled connection first: connecting alone can outlast the 500 ms check on a busy CI machine.
    await t.db.exec({ text: 'SELECT 1' });
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  it('is 200 with the pool state while the database answers', async () => {
    const res = await request(t.app).get('/readyz').expect(200);
    expect(res.body).toMatchObject({ status: 'ready', pool: { max: 4, waiting: 0 } });
  });

  it('is 503 once the worker is shutting down, while liveness stays 200', async () => {
    t.setShuttingDown(true);
    try {
      expectUnavailable(await request(t.app).get('/readyz'), 'shutting-down');
      await request(t.app).get('/livez').expect(200);
    } finally {
      t.setShuttingDown(false);
    }
  });
});

describe('GET /readyz while the pool is saturated', () => {
  it('stays 200 (saturated) while queued statements keep succeeding', async () => {
    const database = await createTestDatabase('readyz_busy');
    const busy = buildTestApp(database.url, { poolSize: 1, readinessTimeoutMs: 150, acquireTimeoutMs: 30_000 });
    try {
      // Open the connection first, so statements start completing at once.
      await busy.db.exec({ text: 'SELECT 1' });
      // 30 statements of 50 ms queue on one connection for about 1.5 s, completing every 50 ms.
      const queued = Promise.all(Array.from({ length: 30 }, () => busy.db.exec({ text: 'SELECT pg_sleep(0.05)' })));
      await new Promise((r) => setTimeout(r, 300));
      const res = await request(busy.app).get('/readyz');
      await queued;
      expect(res.status).toBe(200);
      expect(res.body.saturated).toBe(true);
      expect(res.body.pool.waiting).toBeGreaterThan(0);
    } finally {
      await busy.close();
      await database.drop();
    }
  });
});

describe('GET /readyz when the database cannot be reached', () => {
  it('is 503 when nothing listens on the database port', async () => {
    const port = await freePort();
    const t = buildTestApp(`postgresql://nobody:x@127.0.0.1:${port}/none`, {
      readinessTimeoutMs: READINESS_TIMEOUT_MS,
    });
    try {
      expectUnavailable(await request(t.app).get('/readyz'), 'database-unavailable');
    } finally {
      await t.close();
    }
  });

  it('is 503 within the readiness timeout when the database never answers', async () => {
    // Accepts TCP connections and then says nothing: a frozen or black-holed server.
    const sockets = new Set<net.Socket>();
    const blackhole = net.createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const { port } = blackhole.address() as net.AddressInfo;
    const t = buildTestApp(`postgresql://nobody:x@127.0.0.1:${port}/none`, {
      readinessTimeoutMs: READINESS_TIMEOUT_MS,
      acquireTimeoutMs: 5_000,
    });
    try {
      const started = Date.now();
      expectUnavailable(await request(t.app).get('/readyz'), 'database-unavailable');
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(READINESS_TIMEOUT_MS - 50);
      expect(elapsed).toBeLessThan(READINESS_TIMEOUT_MS + 2_000);
    } finally {
      for (const s of sockets) s.destroy();
      blackhole.close();
      await t.close();
    }
  });
});

describe('GET /readyz when a real PostgreSQL stops and comes back', () => {
  let root: string;
  let server: EmbeddedPostgres;
  let t: TestApp;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'aquifer-readyz-'));
    await fs.chmod(root, 0o755);
    server = await startEmbeddedPostgres({
      dataDir: path.join(root, 'pg'),
      port: await freePort(),
      logger: pino({ level: 'silent' }),
      ephemeral: true,
    });
    // Roomier than elsewhere: the first ping also opens a connection, which is slow on a busy machine.
    t = buildTestApp(server.url, { readinessTimeoutMs: 3_000 });
  });
  afterAll(async () => {
    await t?.close();
    await server?.stop('immediate');
    await fs.rm(root, { recursive: true, force: true });
  });

  it('goes 200 → 503 → 200, and the worker survives its pooled connections dying', async () => {
    await request(t.app).get('/readyz').expect(200);
    expect(t.db.stats().total).toBeGreaterThan(0);

    await server.stop('fast');
    expectUnavailable(await request(t.app).get('/readyz'), 'database-unavailable');
    // A data request fails cleanly too, instead of hanging or crashing.
    const res = await request(t.app).get('/api/v1/wells/1');
    expect(res.status).toBe(503);

    await server.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await request(t.app).get('/readyz')).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});

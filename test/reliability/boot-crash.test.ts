import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/ports';
import { reportFigures } from '../support/report';
import { ensureStopped, spawnServer, type LogLine, type SpawnedServer } from '../support/spawned-server';

jest.setTimeout(60_000);

const WORKERS = 2;
const MAX_CRASHES = 5;
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 2_000;

let database: TestDatabase;
let dir: string;
let server: SpawnedServer | undefined;

beforeAll(async () => {
  database = await createTestDatabase('boot_crash');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'aquifer-boot-crash-'));
});
afterAll(async () => {
  await ensureStopped(server);
  await database.drop();
  await fs.rm(dir, { recursive: true, force: true });
});

const at = (line: LogLine) => Date.parse(line.time as string);

it('restarts a worker that crashes at boot with growing delays, then the primary exits 1 saying why', async () => {
  // Preloaded into every process (NODE_OPTIONS); it throws in cluster workers only, before any of our
  // code runs: the worker process really dies at start-up while the primary runs normally.
  const crash = path.join(dir, 'crash-in-workers.js');
  await fs.writeFile(
    crash,
    "if (require('node:cluster').isWorker) throw new Error('simulated crash at worker start-up');\n",
  );
  const startedAt = Date.now();
  server = spawnServer({
    DATABASE_URL: database.url,
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    DB_SAMPLE_DATA: 'false',
    WEB_CONCURRENCY: String(WORKERS),
    DB_CONNECTION_BUDGET: '4',
    WORKER_MAX_CRASHES: String(MAX_CRASHES),
    WORKER_CRASH_WINDOW_MS: '60000',
    WORKER_BACKOFF_BASE_MS: String(BACKOFF_BASE_MS),
    WORKER_BACKOFF_MAX_MS: String(BACKOFF_MAX_MS),
    NODE_OPTIONS: `--require ${crash}`,
  });
  const exit = await server.waitForExit(45_000);
  const exitedAfterMs = Date.now() - startedAt;
  const logs = server.logs;

  const expected = Array.from({ length: MAX_CRASHES - 1 }, (_, i) =>
    Math.min(BACKOFF_BASE_MS * 2 ** i, BACKOFF_MAX_MS),
  );
  const perWorker = Array.from({ length: WORKERS }, (_, index) => {
    const died = logs.filter((l) => l.msg === 'worker died; restarting it' && l.worker === index);
    const restarted = logs.filter((l) => l.msg === 'restarting worker' && l.worker === index);
    return {
      index,
      backoffMs: died.map((l) => l.backoffMs as number),
      // Measured, not announced: from each death to the fork of its replacement.
      restartedAfterMs: restarted.map((l, i) => at(l) - at(died[i] as LogLine)),
      exitCodes: died.map((l) => l.code),
    };
  });
  const fatal = logs.find((l) => l.level === 60 && l.role === 'primary');
  const givenUp = logs.filter((l) => typeof l.msg === 'string' && l.msg.includes('giving up'));
  const exiting = logs.find((l) => l.msg === 'primary exiting');
  reportFigures('worker crashing at boot', {
    exit,
    exitedAfterMs,
    perWorker,
    fatal: fatal?.msg,
    crashOutput: server.rawOutput.filter((l) => l.includes('simulated crash')).length,
  });

  expect(exit).toEqual({ code: 1, signal: null });
  for (const w of perWorker) {
    // Each crash was a real process exit, and each restart waited its backoff, doubling: 100, 200, 400, 800.
    expect(w.exitCodes).toEqual(Array(MAX_CRASHES - 1).fill(1));
    expect(w.backoffMs).toEqual(expected);
    expect(w.restartedAfterMs).toHaveLength(MAX_CRASHES - 1);
    w.restartedAfterMs.forEach((ms, i) => expect(ms).toBeGreaterThanOrEqual((expected[i] as number) - 5));
    // Growing for real too: every measured wait longer than the one before.
    w.restartedAfterMs.slice(1).forEach((ms, i) => expect(ms).toBeGreaterThan(w.restartedAfterMs[i] as number));
  }
  // The primary never announced itself ready and gave each worker up after MAX_CRASHES crashes.
  expect(logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'))).toBe(false);
  expect(givenUp).toHaveLength(WORKERS);
  expect(fatal?.msg).toMatch(
    new RegExp(`^worker w[01] crashed ${MAX_CRASHES} times within 60000 ms; giving up, and no worker is left$`),
  );
  expect(exiting?.code).toBe(1);
  // The stack of the crash itself reached the operator's output.
  expect(server.rawOutput.some((l) => l.includes('simulated crash at worker start-up'))).toBe(true);
});

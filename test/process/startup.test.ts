import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/ports';
import { ensureStopped, spawnServer, type SpawnedServer } from '../support/spawned-server';

jest.setTimeout(60_000);

let database: TestDatabase;
let server: SpawnedServer | undefined;

beforeAll(async () => {
  database = await createTestDatabase('startup');
});
afterEach(async () => {
  await ensureStopped(server);
  server = undefined;
});
afterAll(async () => {
  await database.drop();
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('start-up refusals', () => {
  it('exits 1 naming the variable, its value and what is allowed', async () => {
    server = spawnServer({ DATABASE_URL: database.url, PORT: '70000', WEB_CONCURRENCY: 'many' });
    const exit = await server.waitForExit(15_000);
    expect(exit.code).toBe(1);
    const output = server.rawOutput.join('\n');
    expect(output).toMatch(/PORT="70000" is invalid: must be a TCP port from 0 to 65535/);
    expect(output).toMatch(/WEB_CONCURRENCY="many" is invalid: must be a number/);
  });

  it('refuses a budget the server cannot give, and never forks a worker', async () => {
    server = spawnServer({
      DATABASE_URL: database.url,
      PORT: String(await freePort()),
      WEB_CONCURRENCY: '2',
      DB_CONNECTION_BUDGET: '100000',
    });
    const exit = await server.waitForExit(15_000);
    expect(exit.code).toBe(1);
    const fatal = server.logs.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(
      /DB_CONNECTION_BUDGET=100000 gives 100000 connection\(s\) per host, but the server can give only \d+/,
    );
    expect(server.logs.some((l) => l.msg === 'worker ready')).toBe(false);
  });
});

describe('signals', () => {
  it('forces exit 1 on a second signal during a drain, taking the workers down too', async () => {
    server = spawnServer({
      DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      WEB_CONCURRENCY: '2',
      DB_CONNECTION_BUDGET: '4',
      DB_SAMPLE_DATA: 'false',
      SHUTDOWN_DELAY_MS: '20000',
    });
    await server.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'), 30_000);
    const workerPids = server.logs.filter((l) => l.msg === 'worker ready').map((l) => l.workerPid as number);
    expect(workerPids).toHaveLength(2);

    server.child.kill('SIGTERM');
    await server.waitForLog((l) => l.msg === 'draining', 5_000);
    const secondAt = Date.now();
    server.child.kill('SIGTERM');
    const exit = await server.waitForExit(5_000);
    expect(exit.code).toBe(1);
    expect(Date.now() - secondAt).toBeLessThan(3_000);
    // Workers were killed with the primary, not left to finish their 20 s delay.
    const until = Date.now() + 3_000;
    while (workerPids.some(isAlive) && Date.now() < until) await sleep(50);
    expect(workerPids.filter(isAlive)).toEqual([]);
  });
});

import { fork } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { READY_MESSAGE } from '../../server/cluster/messages';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../support/ports';

jest.setTimeout(60_000);

const WORKER = path.resolve(__dirname, '..', '..', 'dist', 'server', 'worker.js');

type LogLine = Record<string, unknown> & { msg?: string };

interface InstanceRun {
  /** Whether it sent pm2's `ready` message (wait_ready) before it exited. */
  readonly ready: boolean;
  readonly code: number | null;
  readonly logs: readonly LogLine[];
}

/**
 * Starts dist/server/worker.js as pm2 cluster mode does: NODE_APP_INSTANCE set, no primary of ours, an IPC
 * channel to the supervisor. Once it says `ready` (or exits), stops it with SIGINT as `pm2 stop` does.
 */
async function runInstance(env: Record<string, string>): Promise<InstanceRun> {
  const child = fork(WORKER, [], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', ...env },
    silent: true,
  });
  const logs: LogLine[] = [];
  const record = (line: string) => logs.push(line.startsWith('{') ? (JSON.parse(line) as LogLine) : { raw: line });
  // silent: true pipes both: the logger writes to stdout, a configuration error goes to stderr.
  for (const input of [child.stdout, child.stderr]) if (input) readline.createInterface({ input }).on('line', record);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<boolean>((resolve) => child.on('message', (msg) => msg === READY_MESSAGE && resolve(true)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    const sawReady = await Promise.race([ready, exited.then(() => false)]);
    if (sawReady) child.kill('SIGINT');
    return { ready: sawReady, code: await exited, logs };
  } finally {
    clearTimeout(killer);
  }
}

const listening = (run: InstanceRun) => run.logs.find((l) => l.msg === 'listening');

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('pm2_instance');
});
afterAll(async () => {
  await database.drop();
});

const pm2Env = async (over: Record<string, string>) => ({
  DATABASE_URL: database.url,
  HOST: '127.0.0.1',
  PORT: String(await freePort()),
  DB_SAMPLE_DATA: 'false',
  WEB_CONCURRENCY: '4',
  DB_CONNECTION_BUDGET: '64',
  ...over,
});

describe('a pm2 cluster-mode instance sizes its own pool', () => {
  it.each([
    // floor(64 / (4 + 2)) = 10: six processes mid-reload hold at most 60 of 64.
    { instance: '0', parallel: '2', pool: 10 },
    { instance: '3', parallel: '2', pool: 10 },
    // floor(64 / (4 + 1)) = 12: five hold at most 60.
    { instance: '0', parallel: '1', pool: 12 },
  ])(
    'NODE_APP_INSTANCE=$instance, 4 instances, PM2_RELOAD_PARALLEL=$parallel, 64 per host: pool $pool',
    async ({ instance, parallel, pool }) => {
      const run = await runInstance(await pm2Env({ NODE_APP_INSTANCE: instance, PM2_RELOAD_PARALLEL: parallel }));
      expect(run.ready).toBe(true);
      expect(listening(run)?.poolSize).toBe(pool);
      expect(run.code).toBe(0);
    },
  );

  it.each<{ name: string; over: Record<string, string>; says: RegExp }>([
    {
      name: 'a budget too small for the instances plus the reload replacements',
      over: { NODE_APP_INSTANCE: '0', DB_CONNECTION_BUDGET: '5' },
      says: /WEB_CONCURRENCY=4 \+ PM2_RELOAD_PARALLEL=2 = 6 processes .*cannot give each of 6 workers one/,
    },
    {
      name: 'an instance index outside WEB_CONCURRENCY',
      over: { NODE_APP_INSTANCE: '4' },
      says: /instance 4 is outside WEB_CONCURRENCY=4/,
    },
  ])('refuses $name and exits 1', async ({ over, says }) => {
    const run = await runInstance(await pm2Env(over));
    expect(run.ready).toBe(false);
    expect(listening(run)).toBeUndefined();
    expect(run.code).toBe(1);
    const fatal = run.logs.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(says);
  });
});

import fs from 'node:fs/promises';
import path from 'node:path';
import { privatePm2, type PrivatePm2 } from '../support/pm2';
import { reportFigures } from '../support/report';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'log-burst-then-exit.js');
const WORKER = path.join(ROOT, 'dist', 'server', 'worker.js');
const BURST_LINES = 5_000;

let pm2: PrivatePm2 | undefined;

afterAll(async () => {
  await pm2?.kill();
});

/** What one pm2 cluster-mode instance of the fixture wrote to its log file before it exited. */
interface Written {
  readonly burst: number;
  readonly lastLine: boolean;
}

async function written(file: string): Promise<Written> {
  const lines = (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l.startsWith('{'));
  const msgs = lines.map((l) => (JSON.parse(l) as { msg?: string }).msg);
  return { burst: msgs.filter((m) => m === 'burst').length, lastLine: msgs.includes('last line') };
}

// The worker logs "worker stopped" (or why it failed) and exits; under pm2 that line was sometimes missing.
it('under pm2 cluster mode, every line logged before an exit reaches the log file', async () => {
  pm2 = await privatePm2({});
  const home = pm2.home;
  const file = (name: string) => path.join(home, name);
  const app = (name: string, env: Record<string, string>, out = file(`${name}.log`)) => ({
    name,
    exec_mode: 'cluster',
    instances: 1,
    autorestart: false,
    // One file per app, without pm2's instance-id suffix.
    merge_logs: true,
    out_file: out,
    error_file: file(`${name}-err.log`),
    script: FIXTURE,
    env: { BURST_LINES: String(BURST_LINES), FLUSH_MS_FILE: file(`${name}.ms`), ...env },
  });
  const apps = [
    app('after-logs', { EXIT: 'after-logs' }),
    // The control: pm2 appends asynchronously, so a bare process.exit drops what is still queued.
    app('bare', { EXIT: 'bare' }),
    // With logs off pm2 writes nothing, and must not hold the exit up to its 1 s limit.
    app('no-log-file', { EXIT: 'after-logs' }, '/dev/null'),
    // The real worker, refusing its configuration: the message must reach pm2's error log.
    { ...app('bad-config', { WEB_CONCURRENCY: 'lots' }), script: WORKER },
  ];
  const ecosystem = file('burst.config.json');
  await fs.writeFile(ecosystem, JSON.stringify({ apps }));
  await pm2.run(['start', ecosystem], 20_000);
  const daemon = pm2;
  const allStopped = async () => {
    const list = await daemon.list();
    return list.length === apps.length && list.every((p) => p.pm2_env.status === 'stopped');
  };
  await waitFor(allStopped, 30_000);

  const exitMs = async (name: string) => Number(await fs.readFile(file(`${name}.ms`), 'utf8'));
  const afterLogs = await written(file('after-logs.log'));
  const bare = await written(file('bare.log'));
  const configError = await fs.readFile(file('bad-config-err.log'), 'utf8');
  reportFigures('pm2 log lines kept at exit', {
    logged: BURST_LINES + 1,
    afterLogs: { ...afterLogs, exitMs: await exitMs('after-logs') },
    bare: { ...bare, exitMs: await exitMs('bare') },
    noLogFileExitMs: await exitMs('no-log-file'),
    configErrorLogged: configError.includes('Invalid configuration'),
  });

  expect(afterLogs).toEqual({ burst: BURST_LINES, lastLine: true });
  expect(bare.lastLine).toBe(false);
  expect(bare.burst).toBeLessThan(BURST_LINES);
  expect(await exitMs('no-log-file')).toBeLessThan(500);
  expect(configError).toMatch(/Invalid configuration:\n {2}- .*WEB_CONCURRENCY/);
});

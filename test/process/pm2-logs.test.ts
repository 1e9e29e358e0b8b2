import fs from 'node:fs/promises';
import path from 'node:path';
import { privatePm2, type PrivatePm2 } from '../support/pm2';
import { reportFigures } from '../support/report';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'log-burst-then-exit.js');
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
it('under pm2 cluster mode, every line logged before exitAfterLogs reaches the log file; a bare exit loses them', async () => {
  pm2 = await privatePm2({});
  const daemon = pm2;
  const out = (exit: string) => path.join(daemon.home, `${exit}.log`);
  const app = (exit: string) => ({
    name: exit,
    script: FIXTURE,
    exec_mode: 'cluster',
    instances: 1,
    autorestart: false,
    // One file per app, without pm2's instance-id suffix.
    merge_logs: true,
    out_file: out(exit),
    error_file: out(`${exit}-err`),
    env: { BURST_LINES: String(BURST_LINES), EXIT: exit },
  });
  const ecosystem = path.join(daemon.home, 'burst.config.json');
  await fs.writeFile(ecosystem, JSON.stringify({ apps: [app('after-logs'), app('bare')] }));
  await daemon.run(['start', ecosystem]);
  const stopped = async () => {
    const list = await daemon.list();
    return list.length === 2 && list.every((p) => p.pm2_env.status === 'stopped');
  };
  await waitFor(stopped, 30_000);

  const afterLogs = await written(out('after-logs'));
  const bare = await written(out('bare'));
  reportFigures('pm2 log lines kept at exit', { logged: BURST_LINES + 1, afterLogs, bare });

  expect(afterLogs).toEqual({ burst: BURST_LINES, lastLine: true });
  // The control: pm2 appends asynchronously, so a bare process.exit drops what is still queued.
  expect(bare.lastLine).toBe(false);
  expect(bare.burst).toBeLessThan(BURST_LINES);
});

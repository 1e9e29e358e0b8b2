/**
 * Entry point of the spare: a process the primary forks once its workers are
 * up, which loads everything a worker runs, builds the app once as a dress
 * rehearsal, and waits. Loading and the first build (V8 compiles each function
 * on its first call) are most of a worker's boot: about 0.9 s of CPU, several
 * seconds on a busy host. When a worker dies the primary hands the spare that
 * worker's environment and it starts as that worker, without either cost.
 * Until then it holds no database connection and accepts no traffic.
 */
// First: tells server/worker.ts, loaded below, to wait for an assignment instead of starting.
import './spare-mark';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { appSettings, loadConfig, poolSettings } from '../../config';
import { buildApp } from '../app';
import { createDatabase } from '../lib/db';
import { createLogger } from '../lib/logger';
import { ASSIGN_MESSAGE, SHUTDOWN_MESSAGE, SPARE_LOADED_MESSAGE, isMessage, type AssignRequest } from './messages';
import { answerPrimaryScrapesOnce } from './primary-scrapes';
// All of the worker's code, loaded now: started on assignment, never re-read from disk then.
import { PRIMARY_SIGNALS, startWorker } from '../worker';

/** The requests of the rehearsal: the hot routes, and the error paths (no database answers). */
const REHEARSAL: readonly { method: string; path: string; body?: string }[] = [
  { method: 'GET', path: '/livez' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/api/v1/wells/1' },
  { method: 'GET', path: '/api/v1/wells?limit=20' },
  { method: 'POST', path: '/api/v1/wells', body: '{}' },
];

/**
 * Builds an app over a pool that cannot connect and sends it a few requests on
 * a private loopback port, then discards it all: what the worker will do,
 * compiled ahead.
 */
async function rehearse(): Promise<void> {
  // Defaults only: the real environment is read once, by the worker this process becomes.
  const config = loadConfig({});
  const logger = createLogger('silent', 'spare');
  const db = createDatabase({
    connectionString: 'postgres://127.0.0.1:1/rehearsal',
    applicationName: 'rehearsal',
    max: 1,
    ...poolSettings(config.db),
    logger,
  });
  const app = buildApp({
    db,
    logger,
    lifecycle: { isShuttingDown: () => false },
    ...appSettings(config),
    metrics: { observeHttp: () => undefined, scrape: () => Promise.resolve('') },
  });
  const server = http.createServer(app);
  try {
    // exclusive: a port of its own, not one shared through the primary as a cluster worker's would be.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve);
    });
    const { port } = server.address() as AddressInfo;
    for (const { method, path, body } of REHEARSAL) {
      await new Promise<void>((resolve) => {
        const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
        const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 5_000 });
        req.on('response', (res) => res.resume().on('end', resolve).on('error', resolve));
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve());
        req.end(body);
      });
    }
  } finally {
    server.closeAllConnections();
    server.close();
    await db.end();
  }
}
// The primary's scrapes ask every cluster worker, this one included: answer (with nothing) rather than time out.
answerPrimaryScrapesOnce();

const quit = () => process.exit(0);
// Signals to the process group are the primary's business, as in a worker; a stop just ends the wait.
const ignore = () => undefined;
for (const signal of PRIMARY_SIGNALS) process.on(signal, ignore);
process.on('SIGTERM', quit);
process.on('SIGINT', quit);

const onMessage = (msg: unknown) => {
  if (isMessage(msg, SHUTDOWN_MESSAGE.type)) quit();
  if (!isMessage<AssignRequest>(msg, ASSIGN_MESSAGE)) return;
  // From here on the worker's own handlers decide.
  process.off('message', onMessage);
  process.off('SIGTERM', quit);
  process.off('SIGINT', quit);
  for (const signal of PRIMARY_SIGNALS) process.off(signal, ignore);
  for (const [key, value] of Object.entries(msg.env)) {
    // Writes, not reads: config/ reads this environment when the worker starts, just below.
    // eslint-disable-next-line no-restricted-properties
    if (value !== undefined) process.env[key] = value;
  }
  // Synchronously, so the worker's own message listener exists before the next message is emitted.
  startWorker();
};
process.on('message', onMessage);
// A failed rehearsal only costs the speed it was for.
void rehearse()
  .catch((err: unknown) => process.stderr.write(`spare rehearsal failed: ${String(err)}\n`))
  .then(() => process.send?.(SPARE_LOADED_MESSAGE));

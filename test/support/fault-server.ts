import { DEFAULT_SAMPLE_SIZE, loadSampleDataOnce } from '../../server/seed/sample';
import { issueKey } from './api-keys';
import { startMixedLoad, type MixedLoadOptions, type RunningMixedLoad } from './mixed-load';
import { freePort } from './ports';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres';
import { ensureStopped, startReadyServer, type LogLine, type SpawnedServer } from './spawned-server';

/** Two workers over a budget of 6: a pool of 3 each, the shares the fault tests hold and check. */
const BASE_ENV = { WEB_CONCURRENCY: '2', DB_CONNECTION_BUDGET: '6' };
const WORKERS = 2;
const SAMPLE = { ...DEFAULT_SAMPLE_SIZE, wells: 200, observationsPerWell: 2 };
/** Offered load, reads and writes, of every run: "a few hundred requests/s" (issue 6). */
const RATE_PER_S = 250;
const WARM_UP_MS = 2_000;

/**
 * pg's client-side query timeout trails statement_timeout by this much: the longest a statement
 * can hold a request when the server cannot cancel it (frozen, or gone mid-query).
 */
export { CLIENT_TIMEOUT_MARGIN_MS } from '../../server/lib/db';

export interface FaultServerOptions {
  /** DB_ACQUIRE_TIMEOUT_MS and DB_STATEMENT_TIMEOUT_MS: the bounds each test judges requests by. */
  readonly acquireTimeoutMs: number;
  readonly statementTimeoutMs: number;
  /** More of the primary's environment, on top of two workers, a budget of 6 and those timeouts. */
  readonly env?: Readonly<Record<string, string>>;
  /** The load's bounds: requests per run, and each request's own limit (far past the bound judged). */
  readonly maxRequests: number;
  readonly requestTimeoutMs: number;
  /** Keeps the first well (by id) out of every load, the warm-up's too, so the test can lock it. */
  readonly reserveWell?: boolean;
  /** Gives the primary a metrics listener (METRICS_PORT) on a free port. */
  readonly metrics?: boolean;
}

export interface FaultServer {
  /** The file's own PostgreSQL, with the sample wells loaded: the one the faults hit. */
  readonly pg: PrivatePostgres;
  /** The primary over it, ready and warmed up. */
  readonly server: SpawnedServer;
  readonly port: number;
  /** The primary's metrics port (only with `metrics`). */
  readonly metricsPort: number;
  /** A key with the write scope. */
  readonly writeKey: string;
  /** The well kept out of the load (only with `reserveWell`). */
  readonly reservedWellId: string;
  /** The workers' pids at start, in the order they were ready. */
  readonly workerPids: readonly number[];
  /** Each worker's pool size at start, by application_name (aquifer:w<i>). */
  readonly shares: Readonly<Record<string, number>>;
  /** Starts the load (RATE_PER_S, reads and writes) for `durationMs`; `siteCodePrefix` keeps its writes apart. */
  startLoad(durationMs: number, siteCodePrefix: string): RunningMixedLoad;
}

/** What the set-up found, once it has run. */
interface Started {
  readonly port: number;
  readonly metricsPort: number | undefined;
  readonly writeKey: string;
  readonly reservedWellId: string | undefined;
  readonly workerPids: readonly number[];
  readonly shares: Readonly<Record<string, number>>;
  readonly load: Omit<MixedLoadOptions, 'durationMs' | 'siteCodePrefix'>;
}

/** Pids of the workers that have logged 'worker ready', in order: a replaced worker adds one. */
export const readyWorkerPids = (logs: readonly LogLine[]): number[] =>
  logs.filter((l) => l.msg === 'worker ready').map((l) => l.workerPid as number);

/** Log lines that tell of a worker dying or an error nobody caught: a fault must cause none. */
export const crashLines = (logs: readonly LogLine[]): LogLine[] =>
  logs.filter((l) => /worker died|crashed|uncaught|unhandled/.test(l.msg ?? ''));

/**
 * For the database-fault tests: registers beforeAll (a private PostgreSQL with the
 * sample wells, a write key, the primary spawned over it with `env`, and a 2 s warm-up
 * under the mixed load) and afterAll (stop both). The PostgreSQL is the file's own, so
 * stopping, freezing or killing it never disturbs the shared server the other files use.
 */
export function useFaultServer(label: string, opts: FaultServerOptions): FaultServer {
  let pg: PrivatePostgres | undefined;
  let server: SpawnedServer | undefined;
  let started: Started | undefined;

  const ready = () => {
    if (!pg || !server || !started)
      throw new Error(`useFaultServer(${label}): read before its set-up ran, or after it failed`);
    return { pg, server, ...started };
  };
  const only = <T>(value: T | undefined, option: string): T => {
    if (value === undefined) throw new Error(`useFaultServer(${label}): set ${option} to use this`);
    return value;
  };
  const startLoad = (durationMs: number, siteCodePrefix: string) =>
    startMixedLoad({ ...ready().load, durationMs, siteCodePrefix });

  beforeAll(async () => {
    const db = (pg = await startPrivatePostgres(label));
    await db.query((q) => loadSampleDataOnce(q, SAMPLE));
    const rows = await db.query((q) => q.many<{ id: string }>({ text: 'SELECT id FROM wells ORDER BY id' }));
    const wellIds = rows.map((r) => r.id);
    const reservedWellId = opts.reserveWell ? wellIds.shift() : undefined;
    const writeKey = await issueKey(db, 'write');
    const port = await freePort();
    const metricsPort = opts.metrics ? await freePort() : undefined;
    const env = {
      ...BASE_ENV,
      DB_ACQUIRE_TIMEOUT_MS: String(opts.acquireTimeoutMs),
      DB_STATEMENT_TIMEOUT_MS: String(opts.statementTimeoutMs),
      ...opts.env,
      ...(metricsPort !== undefined && { METRICS_PORT: String(metricsPort) }),
    };
    server = await startReadyServer(db.url, port, env);
    const readyLines = server.logs.filter((l) => l.msg === 'worker ready');
    started = {
      port,
      metricsPort,
      writeKey,
      reservedWellId,
      workerPids: readyWorkerPids(server.logs),
      shares: Object.fromEntries(readyLines.map((l) => [`aquifer:w${String(l.worker)}`, l.poolSize as number])),
      load: {
        port,
        ratePerS: RATE_PER_S,
        maxRequests: opts.maxRequests,
        requestTimeoutMs: opts.requestTimeoutMs,
        writeKey,
        wellIds,
      },
    };
    expect(started.workerPids).toHaveLength(WORKERS);
    // Warm-up, unjudged: the workers' first seconds (JIT, a spare worker loading) are not the steady state.
    await startLoad(WARM_UP_MS, 'warm-up').done;
  });

  afterAll(async () => {
    await ensureStopped(server);
    // Thaws first if a failed test left it frozen.
    await pg?.destroy();
  });

  return {
    get pg() {
      return ready().pg;
    },
    get server() {
      return ready().server;
    },
    get port() {
      return ready().port;
    },
    get metricsPort() {
      return only(ready().metricsPort, 'metrics');
    },
    get writeKey() {
      return ready().writeKey;
    },
    get reservedWellId() {
      return only(ready().reservedWellId, 'reserveWell');
    },
    get workerPids() {
      return ready().workerPids;
    },
    get shares() {
      return ready().shares;
    },
    startLoad,
  };
}

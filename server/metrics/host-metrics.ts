/**
 * One scrape for the whole host. Under our primary, workers keep their own
 * registries and the primary sums them (prom-client's AggregatorRegistry asks
 * every worker over the cluster IPC channel). A worker serving GET /metrics
 * asks the primary for that sum; the primary's METRICS_PORT listener serves it.
 */
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../lib/logger';

const SCRAPE_REQUEST = 'aquifer:metrics-request';
const SCRAPE_RESPONSE = 'aquifer:metrics-response';
/** A worker that cannot answer within this is left out of the scrape's failure, not waited on forever. */
export const SCRAPE_TIMEOUT_MS = 5_000;

export const METRICS_CONTENT_TYPE = AggregatorRegistry.PROMETHEUS_CONTENT_TYPE;

interface ScrapeResponse {
  readonly type: typeof SCRAPE_RESPONSE;
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

const isScrapeResponse = (msg: unknown): msg is ScrapeResponse =>
  typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === SCRAPE_RESPONSE;

/**
 * In a worker our primary forked, first thing: answer the primary's scrape
 * requests, with nothing until `shareWithPrimary`. A worker still booting must
 * not leave the host's scrape waiting for its timeout.
 */
export function answerPrimaryScrapes(): void {
  AggregatorRegistry.setRegistries([]);
  // Constructing one installs prom-client's IPC listener that answers the primary's requests.
  new AggregatorRegistry();
}

/** In a worker: from now on the primary's scrapes read `registry`. */
export function shareWithPrimary(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
}

/** In a worker forked by our primary: the whole host's metrics, summed by the primary. */
export function scrapeThroughPrimary(): Promise<string> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (msg: unknown) => {
      if (!isScrapeResponse(msg) || msg.id !== id) return;
      settle();
      if (msg.error !== undefined || msg.text === undefined) reject(new Error(msg.error ?? 'empty scrape'));
      else resolve(msg.text);
    };
    const timer = setTimeout(() => {
      settle();
      reject(new Error(`the primary did not answer a metrics scrape within ${SCRAPE_TIMEOUT_MS} ms`));
    }, SCRAPE_TIMEOUT_MS);
    const settle = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    process.on('message', onMessage);
    process.send?.({ type: SCRAPE_REQUEST, id });
  });
}
let nextId = 0;

export interface HostMetrics {
  /** Every live worker's metrics, summed; a worker's own series keep their `worker` label. */
  scrape(): Promise<string>;
  /** Answers a worker's scrape request, if `msg` is one. */
  handleWorkerMessage(worker: Worker, msg: unknown): void;
}

/** In our primary. */
export function createHostMetrics(logger: Logger): HostMetrics {
  const aggregator = new AggregatorRegistry();
  const scrape = () => aggregator.clusterMetrics();
  return {
    scrape,
    handleWorkerMessage(worker, msg) {
      if (typeof msg !== 'object' || msg === null || (msg as { type?: unknown }).type !== SCRAPE_REQUEST) return;
      const { id } = msg as { id: number };
      scrape().then(
        (text) => worker.isConnected() && worker.send({ type: SCRAPE_RESPONSE, id, text }),
        (err: unknown) => {
          logger.warn({ err }, 'metrics scrape failed');
          if (worker.isConnected()) worker.send({ type: SCRAPE_RESPONSE, id, error: 'scrape failed' });
        },
      );
    },
  };
}

/** Serves GET /metrics from `scrape` on its own port, without auth: bind it to loopback or a private network. */
export function serveMetrics(host: string, port: number, scrape: () => Promise<string>, logger: Logger) {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    scrape().then(
      (text) => res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE }).end(text),
      (err: unknown) => {
        logger.warn({ err }, 'metrics scrape failed');
        res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' }).end('scrape failed\n');
      },
    );
  });
  return new Promise<http.Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** True in a process our primary forked (pm2's cluster workers are workers too, but answer to pm2). */
export const forkedByPrimary = (workerIndexFromPrimary: number | null): boolean =>
  cluster.isWorker && workerIndexFromPrimary !== null;

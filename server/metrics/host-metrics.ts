/**
 * One scrape for the whole host. Under our primary, workers keep their own
 * registries; the primary asks each over the cluster IPC channel and sums the
 * answers (prom-client's AggregatorRegistry.aggregate). A worker that does not
 * answer in time (busy, booting, dying) is left out and counted, instead of
 * failing the whole scrape. A worker serving GET /metrics asks the primary for
 * that sum; the primary's METRICS_PORT listener serves it too.
 */
import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import type { Logger } from '../lib/logger';
import { isSpare } from '../cluster/spare';

const REGISTRY_REQUEST = 'aquifer:registry-request';
const REGISTRY_RESPONSE = 'aquifer:registry-response';
const SCRAPE_REQUEST = 'aquifer:metrics-request';
const SCRAPE_RESPONSE = 'aquifer:metrics-response';
/** How long the primary waits for each worker's registry. */
const WORKER_ANSWER_MS = 2_000;
/** How long a worker waits for the primary's sum. */
const SCRAPE_TIMEOUT_MS = WORKER_ANSWER_MS + 3_000;

export const METRICS_CONTENT_TYPE = AggregatorRegistry.PROMETHEUS_CONTENT_TYPE;

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

interface Reply {
  readonly type: string;
  readonly id: number;
  readonly text?: string;
  readonly metrics?: MetricsJson;
  readonly error?: string;
}

const isReply = (msg: unknown, type: string): msg is Reply =>
  typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === type;

/** What this worker shares with the primary; null until ready and again once draining. */
let shared: Registry | null = null;

/**
 * In a worker our primary forked, first thing: answer the primary's requests
 * for this worker's registry, with nothing until `shareWithPrimary`.
 */
export function answerPrimaryScrapes(): void {
  process.on('message', (msg: unknown) => {
    if (!isReply(msg, REGISTRY_REQUEST)) return;
    const reply = (body: Partial<Reply>) => process.send?.({ type: REGISTRY_RESPONSE, id: msg.id, ...body });
    if (!shared) return reply({ metrics: [] });
    shared.getMetricsAsJSON().then(
      (metrics) => reply({ metrics }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/** In a worker: from now on the primary's scrapes read `registry`. */
export function shareWithPrimary(registry: Registry): void {
  shared = registry;
}

/**
 * In a draining worker: answer the primary with nothing. Its replacement
 * reports under the same `worker` label, and the sum would count it twice.
 */
export function stopSharingWithPrimary(): void {
  shared = null;
}

/** Sends `request` and waits for the reply with the same id, or rejects after `timeoutMs`. */
function ask(
  send: (msg: unknown) => void,
  on: (listener: (msg: unknown) => void) => void,
  off: (listener: (msg: unknown) => void) => void,
  type: string,
  replyType: string,
  timeoutMs: number,
): Promise<Reply> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const listener = (msg: unknown) => {
      if (!isReply(msg, replyType) || msg.id !== id) return;
      clearTimeout(timer);
      off(listener);
      resolve(msg);
    };
    const timer = setTimeout(() => {
      off(listener);
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    on(listener);
    send({ type, id });
  });
}
let nextId = 0;

/** In a worker forked by our primary: the whole host's metrics, summed by the primary. */
export async function scrapeThroughPrimary(): Promise<string> {
  const reply = await ask(
    (msg) => process.send?.(msg),
    (l) => process.on('message', l),
    (l) => process.off('message', l),
    SCRAPE_REQUEST,
    SCRAPE_RESPONSE,
    SCRAPE_TIMEOUT_MS,
  );
  if (reply.text === undefined) throw new Error(reply.error ?? 'empty scrape');
  return reply.text;
}

export interface HostMetrics {
  /** Every live worker's metrics, summed; a worker's own series keep their `worker` label. */
  scrape(): Promise<string>;
  /** Answers a worker's scrape request, if `msg` is one. */
  handleWorkerMessage(worker: Worker, msg: unknown): void;
}

/** In our primary. */
export function createHostMetrics(logger: Logger): HostMetrics {
  const fromWorker = (worker: Worker) =>
    ask(
      (msg) => worker.send(msg as object),
      (l) => worker.on('message', l),
      (l) => worker.off('message', l),
      REGISTRY_REQUEST,
      REGISTRY_RESPONSE,
      WORKER_ANSWER_MS,
    ).then((reply) => reply.metrics ?? null);

  async function scrape(): Promise<string> {
    // A spare answers only once it has loaded, and serves nothing to count until it becomes a worker.
    const workers = Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => !!w && w.isConnected() && !isSpare(w),
    );
    const answers = await Promise.all(workers.map((w) => fromWorker(w).catch(() => null)));
    const metrics = answers.filter((m): m is MetricsJson => m !== null);
    const missing = answers.length - metrics.length;
    if (missing > 0) logger.warn({ missing, workers: answers.length }, 'metrics scrape: some workers did not answer');
    const summed = await AggregatorRegistry.aggregate(metrics).metrics();
    return (
      `${summed}# HELP aquifer_metrics_workers_missing Workers whose metrics this scrape lacks (no answer within ${WORKER_ANSWER_MS} ms)\n` +
      `# TYPE aquifer_metrics_workers_missing gauge\naquifer_metrics_workers_missing ${missing}\n`
    );
  }

  return {
    scrape,
    handleWorkerMessage(worker, msg) {
      if (!isReply(msg, SCRAPE_REQUEST)) return;
      const { id } = msg;
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
      // After listening, an accept error is logged rather than taking the primary down.
      server.on('error', (err) => logger.error({ err }, 'metrics listener error'));
      resolve(server);
    });
  });
}

/** True in a process our primary forked (pm2's cluster workers are workers too, but answer to pm2). */
export const forkedByPrimary = (workerIndexFromPrimary: number | null): boolean =>
  cluster.isWorker && workerIndexFromPrimary !== null;

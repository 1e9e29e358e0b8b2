import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../lib/logger';
import { SHUTDOWN_MESSAGE, SPARE_LOADED_MESSAGE } from './messages';

/** Processes that are spares right now: not workers yet, so not asked for metrics. */
const spares = new WeakSet<Worker>();

/** Whether `worker` is a waiting (or loading) spare rather than a worker. */
export const isSpare = (worker: Worker): boolean => spares.has(worker);

/**
 * The primary's side of the spare (see spare-worker.ts): keeps at most one
 * spare process, forked on request, and hands it over once it has loaded.
 */
export class Spare {
  private worker: Worker | null = null;
  private loaded = false;
  private stopped = false;
  private readonly detach = new Map<Worker, () => void>();

  constructor(
    /** The spare's entry point (dist/server/cluster/spare-worker.js). */
    private readonly exec: string,
    private readonly logger: Logger,
  ) {}

  /** Forks a spare unless one is running (or the supervisor is stopping). */
  ensure(): void {
    if (this.worker || this.stopped) return;
    // cluster.fork takes its entry point from the shared settings: switch them for this one fork.
    const workerExec = cluster.settings.exec;
    cluster.setupPrimary({ exec: this.exec });
    const worker = cluster.fork();
    cluster.setupPrimary({ exec: workerExec });
    const forkedAt = Date.now();
    this.worker = worker;
    spares.add(worker);
    this.loaded = false;
    const onMessage = (msg: unknown) => {
      if (msg !== SPARE_LOADED_MESSAGE) return;
      this.loaded = true;
      this.logger.info({ workerPid: worker.process.pid, loadMs: Date.now() - forkedAt }, 'spare worker loaded');
    };
    const onExit = (code: number | null, signal: string | null) => {
      this.release(worker);
      if (!this.stopped) {
        this.logger.warn({ workerPid: worker.process.pid, code, signal }, 'spare worker exited; restarts fork afresh');
      }
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    this.detach.set(worker, () => {
      worker.off('message', onMessage);
      worker.off('exit', onExit);
    });
  }

  /** The loaded spare, now the caller's to assign and supervise; null when none is loaded. */
  take(): Worker | null {
    const worker = this.worker;
    if (!worker || !this.loaded || !worker.isConnected()) return null;
    this.release(worker);
    // From here on it is a worker (a discarded spare stays one until it exits).
    spares.delete(worker);
    return worker;
  }

  /** Stops the spare (its code may predate a deploy); `ensure` forks a new one. */
  discard(): void {
    const worker = this.worker;
    if (!worker) return;
    this.release(worker);
    stopQuietly(worker);
  }

  /** Stops the spare for good; resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    if (!worker) return;
    this.release(worker);
    if (worker.isDead()) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    stopQuietly(worker);
    await exited;
  }

  /** Kills the spare at once: the answer to a second signal. */
  kill(): void {
    this.stopped = true;
    this.worker?.process.kill('SIGKILL');
  }

  private release(worker: Worker): void {
    this.detach.get(worker)?.();
    this.detach.delete(worker);
    if (this.worker === worker) this.worker = null;
  }
}

/** A waiting spare holds nothing: it exits on the shutdown message at once, or is killed. */
function stopQuietly(worker: Worker): void {
  if (worker.isDead()) return;
  if (worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
  const timer = setTimeout(() => worker.process.kill('SIGKILL'), 2_000);
  worker.once('exit', () => clearTimeout(timer));
}

import cluster, { type Worker } from 'node:cluster';
import type { CrashPolicy } from '../lib/crash-policy';
import { recordCrash } from '../lib/crash-policy';
import type { Logger } from '../lib/logger';

export interface SupervisorOptions {
  /** Pool size of each worker, by index: the budget plan's shares. */
  readonly shares: readonly number[];
  /** Environment for the worker with this index and pool size. */
  readonly envFor: (index: number, poolSize: number) => Record<string, string | undefined>;
  readonly crashPolicy: CrashPolicy;
  /** How long a worker may take to drain after being asked to stop, before it is killed. */
  readonly stopTimeoutMs: number;
  readonly logger: Logger;
  /** Called once, when every worker has reported ready for the first time. */
  readonly onAllReady: () => void;
  /** Called when a worker crashed too often; the caller shuts down and exits non-zero. */
  readonly onGiveUp: (index: number, crashes: number) => void;
}

/** Messages between primary and workers over the cluster IPC channel. */
export const READY_MESSAGE = 'ready';
export const SHUTDOWN_MESSAGE = { type: 'shutdown' } as const;

/**
 * Forks one worker per share, re-forks a dead one with the same index and share
 * after a backoff, and stops them all on request. Invariant: at most one live
 * worker per index, so the pools never sum above the budget.
 */
export class Supervisor {
  private readonly workers = new Map<number, Worker>();
  private readonly crashes = new Map<number, number[]>();
  private readonly pendingRestarts = new Map<number, NodeJS.Timeout>();
  private readonly everReady = new Set<number>();
  private stopping = false;
  private announced = false;

  constructor(private readonly opts: SupervisorOptions) {}

  start(): void {
    this.opts.shares.forEach((_, index) => this.fork(index));
  }

  private fork(index: number): void {
    const poolSize = this.opts.shares[index] as number;
    const worker = cluster.fork(this.opts.envFor(index, poolSize));
    this.workers.set(index, worker);
    const startedAt = Date.now();
    worker.on('message', (msg: unknown) => {
      if (msg !== READY_MESSAGE) return;
      this.opts.logger.info(
        { worker: index, workerPid: worker.process.pid, poolSize, bootMs: Date.now() - startedAt },
        'worker ready',
      );
      this.everReady.add(index);
      if (!this.announced && !this.stopping && this.everReady.size === this.opts.shares.length) {
        this.announced = true;
        this.opts.onAllReady();
      }
    });
    worker.on('exit', (code, signal) => this.onExit(index, worker, code, signal));
  }

  private onExit(index: number, worker: Worker, code: number | null, signal: string | null): void {
    if (this.workers.get(index) === worker) this.workers.delete(index);
    if (this.stopping) return;
    const log = { worker: index, workerPid: worker.process.pid, code, signal };
    // Any unplanned exit counts, clean or not: a worker that keeps exiting 0 must not fork in a tight loop.
    const { history, decision } = recordCrash(this.crashes.get(index) ?? [], Date.now(), this.opts.crashPolicy);
    this.crashes.set(index, history);
    if (decision.action === 'give-up') {
      this.opts.logger.fatal(
        { ...log, crashes: decision.crashesInWindow, windowMs: this.opts.crashPolicy.windowMs },
        `worker w${index} crashed ${decision.crashesInWindow} times within ${this.opts.crashPolicy.windowMs} ms; giving up`,
      );
      this.opts.onGiveUp(index, decision.crashesInWindow);
      return;
    }
    this.opts.logger.error({ ...log, restartInMs: decision.delayMs }, 'worker died; restarting it');
    const timer = setTimeout(() => {
      this.pendingRestarts.delete(index);
      if (!this.stopping) this.fork(index);
    }, decision.delayMs);
    this.pendingRestarts.set(index, timer);
  }

  /** Asks every worker to drain and exit; kills those still running after the stop timeout. */
  async stop(): Promise<{ killed: number }> {
    this.stopping = true;
    for (const timer of this.pendingRestarts.values()) clearTimeout(timer);
    this.pendingRestarts.clear();
    const live = [...this.workers.values()];
    let killed = 0;
    await Promise.all(
      live.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const timer = setTimeout(() => {
              killed++;
              worker.process.kill('SIGKILL');
            }, this.opts.stopTimeoutMs);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
            else worker.process.kill('SIGTERM');
          }),
      ),
    );
    return { killed };
  }

  /** Kills every worker at once: the answer to a second signal. */
  killAll(): void {
    this.stopping = true;
    for (const worker of this.workers.values()) worker.process.kill('SIGKILL');
  }
}

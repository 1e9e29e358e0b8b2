import cluster, { type Worker } from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CrashPolicy } from '../lib/crash-policy';
import { recordCrash } from '../lib/crash-policy';
import type { Logger } from '../lib/logger';
import { planRebalance } from './rebalance';

export interface SupervisorOptions {
  /** Pool size of each worker, by index: the budget plan's shares. */
  readonly shares: readonly number[];
  /** The host's budget, re-split over the workers left when one is given up. */
  readonly perHost: number;
  /** How long a worker may take to shrink its pool (busy connections close as requests end). */
  readonly resizeTimeoutMs: number;
  /** Environment for the worker with this index and pool size. */
  readonly envFor: (index: number, poolSize: number) => Record<string, string | undefined>;
  readonly crashPolicy: CrashPolicy;
  /** How long a worker may take to drain after being asked to stop, before it is killed. */
  readonly stopTimeoutMs: number;
  readonly logger: Logger;
  /** Called once, when every worker has reported ready for the first time. */
  readonly onAllReady: () => void;
  /** Called when the last worker left crashed too often; the caller shuts down and exits non-zero. */
  readonly onGiveUp: (index: number, crashes: number) => void;
  /** Every other message a worker sends (e.g. a metrics scrape request). */
  readonly onWorkerMessage?: (worker: Worker, msg: unknown) => void;
}

/** Messages between primary and workers over the cluster IPC channel. */
export const READY_MESSAGE = 'ready';
export const SHUTDOWN_MESSAGE = { type: 'shutdown' } as const;
/** Primary → worker: set your pool to `max`. The worker answers with a RESIZED_MESSAGE of the same id. */
export const RESIZE_MESSAGE = 'resize';
export const RESIZED_MESSAGE = 'resized';

export interface ResizeRequest {
  readonly type: typeof RESIZE_MESSAGE;
  readonly id: number;
  readonly max: number;
}

interface ResizeAnswer {
  readonly type: typeof RESIZED_MESSAGE;
  readonly id: number;
  readonly ok: boolean;
}

const isMessage = <T extends { type: string }>(msg: unknown, type: T['type']): msg is T =>
  typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === type;

export const isResizeRequest = (msg: unknown): msg is ResizeRequest => isMessage<ResizeRequest>(msg, RESIZE_MESSAGE);

/** A dead worker's backends end as its sockets close; this lets the database notice before others grow. */
const DEAD_WORKER_GRACE_MS = 500;

/**
 * Forks one worker per share, re-forks a dead one with the same index and share
 * after a backoff, and stops them all on request. A worker that keeps crashing
 * is given up and its share split among the rest. Invariants: at most one live
 * worker per index, and a pool only grows once every shrink it depends on is
 * confirmed, so the pools never sum above the budget.
 */
export class Supervisor {
  private readonly workers = new Map<number, Worker>();
  /** Pool size by index, for every index not given up (running or waiting to restart). */
  private readonly pools: Map<number, number>;
  private readonly resizes = new Map<number, (ok: boolean) => void>();
  private nextResizeId = 0;
  private rebalancing: Promise<void> = Promise.resolve();
  private readonly crashes = new Map<number, number[]>();
  private readonly pendingRestarts = new Map<number, NodeJS.Timeout>();
  private readonly everReady = new Set<number>();
  private stopping = false;
  private announced = false;

  constructor(private readonly opts: SupervisorOptions) {
    this.pools = new Map(opts.shares.map((share, index) => [index, share]));
  }

  start(): void {
    for (const index of this.pools.keys()) this.fork(index);
  }

  /** Pool size by worker index, as planned now. */
  currentShares(): ReadonlyMap<number, number> {
    return this.pools;
  }

  private fork(index: number): void {
    const poolSize = this.pools.get(index) as number;
    const worker = cluster.fork(this.opts.envFor(index, poolSize));
    this.workers.set(index, worker);
    const startedAt = Date.now();
    worker.on('message', (msg: unknown) => {
      if (isMessage<ResizeAnswer>(msg, RESIZED_MESSAGE)) {
        this.resizes.get(msg.id)?.(msg.ok);
        return;
      }
      if (msg !== READY_MESSAGE) {
        this.opts.onWorkerMessage?.(worker, msg);
        return;
      }
      this.opts.logger.info(
        { worker: index, workerPid: worker.process.pid, poolSize, bootMs: Date.now() - startedAt },
        'worker ready',
      );
      this.everReady.add(index);
      if (!this.announced && !this.stopping && this.everReady.size === this.pools.size) {
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
      this.pools.delete(index);
      const why = `worker w${index} crashed ${decision.crashesInWindow} times within ${this.opts.crashPolicy.windowMs} ms; giving up`;
      const details = { ...log, crashes: decision.crashesInWindow, windowMs: this.opts.crashPolicy.windowMs };
      if (this.pools.size === 0) {
        this.opts.logger.fatal(details, `${why}, and no worker is left`);
        this.opts.onGiveUp(index, decision.crashesInWindow);
        return;
      }
      this.opts.logger.error(details, `${why}; splitting its share among the ${this.pools.size} left`);
      this.rebalancing = this.rebalancing.then(() => this.rebalance());
      return;
    }
    this.opts.logger.error({ ...log, restartInMs: decision.delayMs }, 'worker died; restarting it');
    const timer = setTimeout(() => {
      this.pendingRestarts.delete(index);
      if (!this.stopping) this.fork(index);
    }, decision.delayMs);
    this.pendingRestarts.set(index, timer);
  }

  /** Re-splits the budget over the indexes left: every shrink confirmed before any pool grows. */
  private async rebalance(): Promise<void> {
    await sleep(DEAD_WORKER_GRACE_MS);
    if (this.stopping) return;
    const plan = planRebalance(this.opts.perHost, this.pools);
    // A worker restarted from now on starts at its new, smaller size.
    for (const step of plan.shrinks) this.pools.set(step.index, step.to);
    const shrunk = await Promise.all(plan.shrinks.map((step) => this.resize(step.index, step.to)));
    if (!shrunk.every(Boolean)) {
      this.opts.logger.error(
        { shares: Object.fromEntries(this.pools) },
        'a worker did not shrink its pool in time; the others keep their size so the budget holds',
      );
      return;
    }
    for (const step of plan.grows) this.pools.set(step.index, step.to);
    await Promise.all(plan.grows.map((step) => this.resize(step.index, step.to)));
    this.opts.logger.info({ shares: Object.fromEntries(this.pools) }, 'budget rebalanced');
  }

  /** Tells worker `index` its new pool size; true once it confirms (or has no connections to shrink). */
  private resize(index: number, max: number): Promise<boolean> {
    const worker = this.workers.get(index);
    // Not running (waiting to restart): it will start at the size set in `pools`.
    if (!worker || !worker.isConnected()) return Promise.resolve(true);
    const id = this.nextResizeId++;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        worker.off('exit', onExit);
        this.resizes.delete(id);
        resolve(ok);
      };
      // A worker that exits holds no connections any more.
      const onExit = () => done(true);
      const timer = setTimeout(() => done(false), this.opts.resizeTimeoutMs);
      this.resizes.set(id, done);
      worker.once('exit', onExit);
      worker.send({ type: RESIZE_MESSAGE, id, max } satisfies ResizeRequest);
    });
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

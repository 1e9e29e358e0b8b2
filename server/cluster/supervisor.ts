import cluster, { type Worker } from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CrashPolicy } from '../lib/crash-policy';
import { recordCrash } from '../lib/crash-policy';
import type { Logger } from '../lib/logger';
import { waitForBackendsGone } from './dead-backends';
import {
  ASSIGN_MESSAGE,
  BACKENDS_COUNTED_MESSAGE,
  COUNT_BACKENDS_MESSAGE,
  RESIZE_MESSAGE,
  RESIZED_MESSAGE,
  READY_MESSAGE,
  isMessage,
  type AssignRequest,
  type BackendsCounted,
  type CountBackendsRequest,
  type ResizeAnswer,
  type ResizeRequest,
} from './messages';
import { planRebalance, type ResizeStep } from './rebalance';
import { Spare } from './spare';
import { WorkerRequests, stopWorker } from './worker-requests';

export interface SupervisorOptions {
  /** Pool size of each worker, by index: the budget plan's shares. */
  readonly shares: readonly number[];
  /** The host's budget, re-split over the workers left when one is given up. */
  readonly perHost: number;
  /** How long a worker may take to shrink its pool (busy connections close as requests end). */
  readonly resizeTimeoutMs: number;
  /** How long a dead worker's backends may outlive it (PostgreSQL notices a gone client mid-query only so often). */
  readonly deadWorkerGraceMs: number;
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
  /** Entry point of a spare worker kept loaded for crash restarts (spare-worker.js); none when absent. */
  readonly spareExec?: string;
}

/**
 * Forks one worker per share, re-forks a dead one with the same index and share
 * after a backoff, and stops them all on request. A worker that keeps crashing
 * is given up and its share split among the rest. Invariants: at most one live
 * worker per index, and a pool only grows once every shrink it depends on is
 * confirmed, so the pools never sum above the budget.
 */
export class Supervisor {
  private readonly workers = new Map<number, Worker>();
  /** Every running worker process, including replacements still booting and workers draining. */
  private readonly live = new Set<Worker>();
  /** Replacements still booting, and workers asked to stop: their exits are planned, not crashes. */
  private readonly plannedExits = new Set<Worker>();
  /** Pool size by index, for every index not given up (running or waiting to restart). */
  private readonly pools: Map<number, number>;
  private readonly resizes = new WorkerRequests<boolean>();
  private readonly backendCounts = new WorkerRequests<number | null>();
  /** When each process reported ready: only those that did can have opened database connections. */
  private readonly readyAt = new Map<Worker, number>();
  private readonly spare: Spare | null;
  private rebalancing: Promise<void> = Promise.resolve();
  private readonly crashes = new Map<number, number[]>();
  private readonly pendingRestarts = new Map<number, NodeJS.Timeout>();
  private readonly everReady = new Set<number>();
  private stopping = false;
  private announced = false;

  constructor(private readonly opts: SupervisorOptions) {
    this.pools = new Map(opts.shares.map((share, index) => [index, share]));
    this.spare = opts.spareExec === undefined ? null : new Spare(opts.spareExec, opts.logger);
  }

  start(): void {
    for (const index of this.pools.keys()) this.fork(index);
  }

  /** The host's budget that the pools share. */
  get perHost(): number {
    return this.opts.perHost;
  }

  get deadWorkerGraceMs(): number {
    return this.opts.deadWorkerGraceMs;
  }

  /** Pool size by worker index, as planned now. */
  currentShares(): ReadonlyMap<number, number> {
    return this.pools;
  }

  private fork(index: number, fromSpare = false): void {
    this.workers.set(index, this.spawn(index, this.pools.get(index) as number, fromSpare));
  }

  /** A new worker process for `index`: the loaded spare when asked for and there is one, else a fresh fork. */
  private spawn(index: number, poolSize: number, fromSpare = false): Worker {
    const env = this.opts.envFor(index, poolSize);
    const spare = fromSpare ? (this.spare?.take() ?? null) : null;
    const worker = spare ?? cluster.fork(env);
    if (spare) spare.send({ type: ASSIGN_MESSAGE, env } satisfies AssignRequest);
    this.live.add(worker);
    const startedAt = Date.now();
    worker.on('message', (msg: unknown) => {
      if (isMessage<ResizeAnswer>(msg, RESIZED_MESSAGE)) {
        this.resizes.answer(msg.id, msg.ok);
        return;
      }
      if (isMessage<BackendsCounted>(msg, BACKENDS_COUNTED_MESSAGE)) {
        this.backendCounts.answer(msg.id, msg.count);
        return;
      }
      if (msg !== READY_MESSAGE) {
        this.opts.onWorkerMessage?.(worker, msg);
        return;
      }
      this.readyAt.set(worker, Date.now());
      this.opts.logger.info(
        { worker: index, workerPid: worker.process.pid, poolSize, bootMs: Date.now() - startedAt, fromSpare: !!spare },
        'worker ready',
      );
      this.everReady.add(index);
      if (!this.announced && !this.stopping && this.everReady.size === this.pools.size) {
        this.announced = true;
        this.opts.onAllReady();
      }
      // Loaded only once every worker is up, and again after each use, so it never slows a boot.
      if (this.announced && !this.stopping) this.spare?.ensure();
    });
    worker.on('exit', (code, signal) => this.onExit(index, worker, code, signal));
    return worker;
  }

  private onExit(index: number, worker: Worker, code: number | null, signal: string | null): void {
    this.live.delete(worker);
    const readyAt = this.readyAt.get(worker);
    this.readyAt.delete(worker);
    if (this.plannedExits.delete(worker)) return;
    if (this.workers.get(index) !== worker) return;
    this.workers.delete(index);
    if (this.stopping) return;
    const log = { worker: index, workerPid: worker.process.pid, code, signal };
    // Any unplanned exit counts, clean or not: a worker that keeps exiting 0 must not fork in a tight loop.
    const now = Date.now();
    const servedMs = readyAt === undefined ? 0 : now - readyAt;
    const { history, decision } = recordCrash(this.crashes.get(index) ?? [], now, this.opts.crashPolicy, servedMs);
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
      void this.serialize(() => this.rebalance());
      return;
    }
    this.opts.logger.error({ ...log, servedMs, backoffMs: decision.delayMs }, 'worker died; restarting it');
    // Its replacement opens a pool of the same share, so not before the dead one's sessions are gone
    // (one that never served opened none). Checked alongside the backoff, not after it.
    const gone =
      readyAt !== undefined
        ? waitForBackendsGone((timeoutMs) => this.countBackends(index, timeoutMs), this.opts.deadWorkerGraceMs)
        : Promise.resolve({ confirmed: true, waitedMs: 0 });
    const timer = setTimeout(() => {
      void gone.then(({ confirmed, waitedMs }) => {
        // Cleared meanwhile: a rolling restart put a replacement in its place, the index was removed, or we stop.
        if (this.pendingRestarts.get(index) !== timer) return;
        this.pendingRestarts.delete(index);
        if (this.stopping || this.workers.has(index) || !this.pools.has(index)) return;
        const sessions = { sessionsGoneConfirmed: confirmed, sessionsWaitMs: waitedMs };
        this.opts.logger.info({ worker: index, afterMs: Date.now() - now, ...sessions }, 'restarting worker');
        this.fork(index, true);
      });
    }, decision.delayMs);
    this.pendingRestarts.set(index, timer);
  }

  /** Asks a serving worker how many sessions worker `index` still has; null when none can tell in time. */
  private countBackends(index: number, timeoutMs: number): Promise<number | null> {
    const asked = [...this.workers.values()].find((w) => this.readyAt.has(w) && w.isConnected());
    if (!asked) return Promise.resolve(null);
    return this.backendCounts.ask(
      asked,
      (id) => ({ type: COUNT_BACKENDS_MESSAGE, id, index }) satisfies CountBackendsRequest,
      { timeoutMs, onTimeout: null, onExit: null },
    );
  }

  /** Stops the spare: a rolling restart deploys new code, which the next spare loads. */
  discardSpare(): void {
    this.spare?.discard();
  }

  /** Re-splits the budget over the indexes left: every shrink confirmed before any pool grows. */
  private async rebalance(): Promise<void> {
    await sleep(this.opts.deadWorkerGraceMs);
    if (this.stopping) return;
    if (await this.resplit()) {
      this.opts.logger.info({ shares: Object.fromEntries(this.pools) }, 'budget rebalanced');
    }
  }

  /** Splits the budget evenly over the current workers again: shrinks confirmed, then grows. */
  resplit(): Promise<boolean> {
    const plan = planRebalance(this.opts.perHost, this.pools);
    return this.applyResizes(plan.shrinks, plan.grows);
  }

  /** Runs `task` after any rebalance or restart under way: they change pool sizes, one at a time. */
  serialize(task: () => Promise<void>): Promise<void> {
    const run = this.rebalancing.then(task);
    this.rebalancing = run.catch((err: unknown) => this.opts.logger.error({ err }, 'pool re-planning failed'));
    return run;
  }

  /**
   * Shrinks, waits for every worker to confirm, then grows. False (nothing grown) when a
   * shrink was not confirmed in time: growing then could exceed the budget.
   */
  async applyResizes(shrinks: readonly ResizeStep[], grows: readonly ResizeStep[]): Promise<boolean> {
    // A worker restarted from now on starts at its new, smaller size.
    for (const step of shrinks) this.pools.set(step.index, step.to);
    const shrunk = await Promise.all(shrinks.map((step) => this.resize(step.index, step.to)));
    if (!shrunk.every(Boolean)) {
      // Unconfirmed: it may still hold its old size, so plan with that until a later shrink is confirmed.
      shrinks.forEach((step, i) => {
        if (!shrunk[i] && this.pools.has(step.index)) this.pools.set(step.index, step.from);
      });
      this.opts.logger.error(
        { shares: Object.fromEntries(this.pools) },
        'a worker did not shrink its pool in time; the others keep their size so the budget holds',
      );
      return false;
    }
    for (const step of grows) this.pools.set(step.index, step.to);
    await Promise.all(grows.map((step) => this.resize(step.index, step.to)));
    return true;
  }

  /** Starts a second worker for `index` at `poolSize`; resolves once it is ready, rejects if it exits first. */
  startReplacement(index: number, poolSize: number, timeoutMs: number): Promise<Worker> {
    if (this.stopping) return Promise.reject(new Error('stopping: no replacement started'));
    // The replacement takes the index over: a restart still pending for it must not fork a second one.
    clearTimeout(this.pendingRestarts.get(index));
    this.pendingRestarts.delete(index);
    const worker = this.spawn(index, poolSize);
    this.plannedExits.add(worker);
    return new Promise((resolve, reject) => {
      const settle = (err?: Error) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        if (err) {
          worker.process.kill('SIGKILL');
          reject(err);
        } else {
          resolve(worker);
        }
      };
      const onMessage = (msg: unknown) => {
        if (msg === READY_MESSAGE) settle();
      };
      const onExit = () => settle(new Error(`the replacement for w${index} exited before it was ready`));
      const timer = setTimeout(
        () => settle(new Error(`the replacement for w${index} was not ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
  }

  /** Puts a ready replacement in index's place and drains the worker it replaces; resolves once that one exited. */
  async retire(index: number, replacement: Worker, poolSize: number): Promise<void> {
    clearTimeout(this.pendingRestarts.get(index));
    this.pendingRestarts.delete(index);
    const old = this.workers.get(index);
    this.plannedExits.delete(replacement);
    this.workers.set(index, replacement);
    this.pools.set(index, poolSize);
    if (!old) return;
    this.plannedExits.add(old);
    await stopWorker(old, this.opts.stopTimeoutMs);
  }

  /** Tells worker `index` its new pool size; true once it confirms (or has no connections to shrink). */
  private resize(index: number, max: number): Promise<boolean> {
    const worker = this.workers.get(index);
    // Not running (waiting to restart): it will start at the size set in `pools`.
    if (!worker || !worker.isConnected()) return Promise.resolve(true);
    return this.resizes.ask(worker, (id) => ({ type: RESIZE_MESSAGE, id, max }) satisfies ResizeRequest, {
      timeoutMs: this.opts.resizeTimeoutMs,
      onTimeout: false,
      // A worker that exits holds no connections any more.
      onExit: true,
    });
  }

  /** Starts a worker for a new index at `poolSize`; room for it must have been made first. */
  addWorker(index: number, poolSize: number): void {
    if (this.stopping) return;
    this.pools.set(index, poolSize);
    this.fork(index);
  }

  /** Drains and stops the worker at `index` for good; resolves once it has exited. */
  async removeWorker(index: number): Promise<void> {
    this.pools.delete(index);
    clearTimeout(this.pendingRestarts.get(index));
    this.pendingRestarts.delete(index);
    const worker = this.workers.get(index);
    this.workers.delete(index);
    if (!worker) return;
    this.plannedExits.add(worker);
    await stopWorker(worker, this.opts.stopTimeoutMs);
  }

  /** Asks every worker to drain and exit; kills those still running after the stop timeout. */
  async stop(): Promise<{ killed: number }> {
    this.stopping = true;
    for (const timer of this.pendingRestarts.values()) clearTimeout(timer);
    this.pendingRestarts.clear();
    const [results] = await Promise.all([
      Promise.all([...this.live].map((worker) => stopWorker(worker, this.opts.stopTimeoutMs))),
      this.spare?.stop(),
    ]);
    return { killed: results.filter((r) => r === 'killed').length };
  }

  /** Kills every worker at once: the answer to a second signal. */
  killAll(): void {
    this.stopping = true;
    this.spare?.kill();
    for (const worker of this.live) worker.process.kill('SIGKILL');
  }
}

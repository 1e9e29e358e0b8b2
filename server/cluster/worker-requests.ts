import type { Serializable } from 'node:child_process';
import type { Worker } from 'node:cluster';
import { SHUTDOWN_MESSAGE } from './messages';

/**
 * Requests the primary sends a worker, each answered by a message carrying the
 * same id. Every request settles exactly once: with the answer, with
 * `onTimeout` when none comes in time, or with `onExit` if the worker exits first.
 */
export class WorkerRequests<T> {
  private readonly pending = new Map<number, (value: T) => void>();
  private nextId = 0;

  ask(
    worker: Worker,
    message: (id: number) => Serializable,
    opts: { readonly timeoutMs: number; readonly onTimeout: T; readonly onExit: T },
  ): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      const done = (value: T) => {
        clearTimeout(timer);
        worker.off('exit', onExit);
        this.pending.delete(id);
        resolve(value);
      };
      const onExit = () => done(opts.onExit);
      const timer = setTimeout(() => done(opts.onTimeout), opts.timeoutMs);
      this.pending.set(id, done);
      worker.once('exit', onExit);
      worker.send(message(id));
    });
  }

  /** Settles request `id` with a worker's answer; one already settled (timed out) is ignored. */
  answer(id: number, value: T): void {
    this.pending.get(id)?.(value);
  }
}

/** Asks one worker to drain and exit, and SIGKILLs it after `stopTimeoutMs`. */
export function stopWorker(worker: Worker, stopTimeoutMs: number): Promise<'exited' | 'killed'> {
  return new Promise((resolve) => {
    if (worker.isDead()) return resolve('exited');
    let outcome: 'exited' | 'killed' = 'exited';
    const timer = setTimeout(() => {
      outcome = 'killed';
      worker.process.kill('SIGKILL');
    }, stopTimeoutMs);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve(outcome);
    });
    if (worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
    else worker.process.kill('SIGTERM');
  });
}

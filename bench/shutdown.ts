/**
 * What the bench must undo however it ends: contenders, its database, its
 * temporary files. Each undo step runs once, last registered first, bounded,
 * whether the run finishes, throws, or is interrupted by SIGINT or SIGTERM.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** No undo step may hold the exit longer than this (stopping a draining primary takes up to 20 s). */
const STEP_TIMEOUT_MS = 60_000;

export class Shutdown {
  private readonly steps: { name: string; run: () => Promise<void> }[] = [];
  private running: Promise<void> | null = null;

  /** Registers an undo step; returns a function that runs (and unregisters) just that step now. */
  add(name: string, run: () => Promise<void>): () => Promise<void> {
    const step = { name, run };
    this.steps.push(step);
    return async () => {
      const i = this.steps.indexOf(step);
      if (i < 0) return;
      this.steps.splice(i, 1);
      await run();
    };
  }

  /** Runs every registered step, newest first; a second call waits for the first. Never throws. */
  runAll(report: (line: string) => void): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop() as (typeof this.steps)[number];
        const outcome = await Promise.race([
          step.run().then(
            () => null,
            (err: unknown) => `failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
          sleep(STEP_TIMEOUT_MS, `did not finish within ${STEP_TIMEOUT_MS} ms`, { ref: false }),
        ]);
        if (outcome !== null) report(`cleanup "${step.name}" ${outcome}`);
      }
    })();
    return this.running;
  }
}

/**
 * On SIGINT or SIGTERM: undo everything, then exit 128 + the signal's number. A second signal
 * exits at once (whatever is still running is left as it is).
 */
export function undoOnSignals(shutdown: Shutdown, report: (line: string) => void): { interrupted(): boolean } {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    if (interrupted) process.exit(code);
    interrupted = true;
    report(`${signal}: stopping everything the bench started …`);
    void shutdown.runAll(report).finally(() => process.exit(code));
  };
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  return { interrupted: () => interrupted };
}

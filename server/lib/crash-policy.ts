/**
 * When a worker dies unexpectedly: restart it after an exponential backoff, or
 * give up once it has crashed too often within a window. Pure.
 */
export interface CrashPolicy {
  readonly maxCrashes: number;
  readonly windowMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export type CrashDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly crashesInWindow: number }
  | { readonly action: 'give-up'; readonly crashesInWindow: number };

/**
 * Records a crash at `now` in a worker's history (crash times, oldest first) and
 * decides. Only crashes within the window count, so a worker that has been
 * stable for a window starts again from the base delay. The first crash in the
 * window of a process that had served for at least the longest backoff
 * (`servedMs`) restarts at once: backoff is against crash loops, and a worker
 * that stayed up that long is not in one (a second crash within the window
 * backs off as usual).
 */
export function recordCrash(
  history: readonly number[],
  now: number,
  policy: CrashPolicy,
  servedMs = 0,
): { history: number[]; decision: CrashDecision } {
  const recent = [...history.filter((t) => now - t < policy.windowMs), now];
  const n = recent.length;
  if (n >= policy.maxCrashes) {
    return { history: recent, decision: { action: 'give-up', crashesInWindow: n } };
  }
  // 2^(n-1) is capped before multiplying so large counts cannot overflow to Infinity.
  const backoffMs = Math.min(policy.backoffBaseMs * 2 ** Math.min(n - 1, 30), policy.backoffMaxMs);
  const delayMs = n === 1 && servedMs >= policy.backoffMaxMs ? 0 : backoffMs;
  return { history: recent, decision: { action: 'restart', delayMs, crashesInWindow: n } };
}

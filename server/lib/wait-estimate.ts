/**
 * Whether a request arriving at a busy pool would get a connection within the
 * acquire timeout, from how long connections have recently been held. No
 * driver here: the db module reports checkouts to it and asks it.
 */

/** Weight of the newest hold time in the running mean: about the last ten checkouts count. */
const WEIGHT = 0.1;

export interface HoldTimes {
  /** Adds one checkout's hold time. Holds longer than `capMs` count as `capMs`: one long upload must not shed everyone. */
  add(ms: number): void;
  /** The running mean in ms; 0 until the first checkout ends. */
  readonly meanMs: number;
}

export function holdTimes(capMs: number): HoldTimes {
  let mean = 0;
  let seen = false;
  return {
    add(ms) {
      const sample = Math.min(Math.max(ms, 0), capMs);
      mean = seen ? mean + WEIGHT * (sample - mean) : sample;
      seen = true;
    },
    get meanMs() {
      return mean;
    },
  };
}

/**
 * How long a request arriving now would wait for one of `poolSize` busy connections with
 * `waiting` requests ahead of it, served first come first served as connections come back.
 */
export const expectedWaitMs = (waiting: number, poolSize: number, meanHoldMs: number): number =>
  poolSize < 1 ? Infinity : ((waiting + 1) / poolSize) * meanHoldMs;

/** The parts of a pg-pool a shedding decision reads. */
export interface PoolGauge {
  readonly waitingCount: number;
  readonly idleCount: number;
  readonly totalCount: number;
}

/** One checkout, from `checkedOut` to `returned`. */
export interface Hold {
  since: number;
}

export interface ShedGate {
  /**
   * Every connection is taken and a request arriving now would wait in vain: `maxQueue` already
   * wait, or at the hold times seen it would not get a connection within the acquire timeout.
   */
  full(): boolean;
  checkedOut(hold: Hold): void;
  returned(hold: Hold): void;
  /** An acquire timed out: no connection came back in that long, so holds are at least that long now. */
  timedOut(): void;
}

export function shedGate(
  pool: PoolGauge,
  poolSize: () => number,
  limits: { readonly maxQueue: number; readonly acquireTimeoutMs: number },
): ShedGate {
  const holds = holdTimes(limits.acquireTimeoutMs);
  /** The checkouts not yet returned: how long they have lasted is evidence before they end. */
  const held = new Set<Hold>();

  /**
   * The hold time to expect: the running mean of finished holds, or, when every connection
   * being held has already been held longer (a stalled or frozen database, where nothing
   * finishes to move the mean), the age of the youngest of them.
   */
  function expectedHoldMs(): number {
    if (held.size === 0) return holds.meanMs;
    let youngest = Infinity;
    const now = performance.now();
    for (const hold of held) youngest = Math.min(youngest, now - hold.since);
    return Math.max(holds.meanMs, Math.min(youngest, limits.acquireTimeoutMs));
  }

  return {
    full() {
      // Requests still waiting once the idle connections and the room to open new ones are taken.
      // Not just "none idle": pg-pool hands an idle connection over on the next tick, so requests
      // arriving in the same tick all see it idle.
      const size = poolSize();
      const ahead = pool.waitingCount - pool.idleCount - Math.max(0, size - pool.totalCount);
      return (
        ahead >= 0 &&
        (ahead >= limits.maxQueue || expectedWaitMs(ahead, size, expectedHoldMs()) > limits.acquireTimeoutMs)
      );
    },
    checkedOut(hold) {
      hold.since = performance.now();
      held.add(hold);
    },
    returned(hold) {
      holds.add(performance.now() - hold.since);
      held.delete(hold);
    },
    timedOut() {
      holds.add(limits.acquireTimeoutMs);
    },
  };
}

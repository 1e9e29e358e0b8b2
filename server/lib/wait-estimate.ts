/**
 * Whether a request arriving at a busy pool would get a connection within the
 * acquire timeout, from how long connections have recently been held. Pure:
 * the db module feeds it and asks it.
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

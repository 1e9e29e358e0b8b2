/**
 * Resizing a live pg-pool, kept apart from ./db (which stays about queries and
 * errors). Nothing here imports `pg`: it sees the pool only through the few
 * members it uses.
 */

/** The parts of a pg-pool 3.x pool a resize touches. */
export interface ResizablePool {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  connect(): Promise<{ release(destroy?: boolean): void }>;
}

/**
 * Sets the pool's maximum to `max`. Growing serves waiting requests at once;
 * shrinking closes idle connections now and busy ones as they come back, and
 * resolves once at most `max` are open (rejects after `timeoutMs`).
 * `options` is the pool's own options object: pg-pool reads `max` from it on every checkout.
 */
export async function resizePool(
  pool: ResizablePool,
  options: { max: number },
  max: number,
  timeoutMs: number,
): Promise<void> {
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`pool size must be an integer ≥ 1, got ${max}`);
  const grew = max > options.max;
  options.max = max;
  // pg-pool serves queued requests when a client is released, one per release; after growing,
  // serve as many as the new room allows now. (_pulseQueue is internal to pg-pool 3.x, and takes
  // one waiter per call; without it, waiters get the room as clients are released.)
  const pulse = (pool as unknown as { _pulseQueue?: () => void })._pulseQueue;
  if (grew && typeof pulse === 'function') {
    for (let room = max - pool.totalCount; room > 0 && pool.waitingCount > 0; room--) pulse.call(pool);
  }
  const deadline = Date.now() + timeoutMs;
  while (pool.totalCount > max) {
    if (Date.now() > deadline) {
      throw new Error(`the pool still has ${pool.totalCount} connections, above ${max}, after ${timeoutMs} ms`);
    }
    if (pool.idleCount > 0) {
      // An idle client is handed over at once; closing it brings the pool down by one.
      const client = await pool.connect().catch(() => undefined);
      client?.release(true);
    } else {
      // Busy ones close as their requests return them (see withClient in ./db).
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

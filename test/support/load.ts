import http from 'node:http';

export interface LoadOptions {
  readonly port: number;
  /** Path of the next request; called once per request. */
  readonly nextPath: () => string;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly maxRequests: number;
  /** Per-request limit; a request past it counts as an error 'timeout'. */
  readonly requestTimeoutMs?: number;
}

export interface LoadResult {
  readonly total: number;
  readonly statuses: Record<number, number>;
  /** Transport errors by code (ECONNREFUSED, ECONNRESET, timeout, ...). */
  readonly errors: Record<string, number>;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface RunningLoad {
  /** Ends the loops early; resolves with what was measured. */
  stop(): Promise<LoadResult>;
  readonly done: Promise<LoadResult>;
}

/** One request on a fresh connection (no keep-alive), so a refused connection cannot be mistaken for a dropped request. */
function once(port: number, path: string, timeoutMs: number): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? 'response-error' }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

/** Closed-loop load on loopback, bounded in time and in request count. */
export function startLoad(opts: LoadOptions): RunningLoad {
  const statuses: Record<number, number> = {};
  const errors: Record<string, number> = {};
  let total = 0;
  let stopped = false;
  const startedAt = Date.now();
  const deadline = startedAt + opts.durationMs;
  const loop = async () => {
    while (!stopped && Date.now() < deadline && total < opts.maxRequests) {
      total++;
      const r = await once(opts.port, opts.nextPath(), opts.requestTimeoutMs ?? 10_000);
      if (r.status !== undefined) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      else if (r.error !== undefined) errors[r.error] = (errors[r.error] ?? 0) + 1;
    }
  };
  const done = Promise.all(Array.from({ length: opts.concurrency }, loop)).then(() => ({
    total,
    statuses,
    errors,
    startedAt,
    endedAt: Date.now(),
  }));
  return {
    done,
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

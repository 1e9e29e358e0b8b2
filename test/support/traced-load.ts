import http from 'node:http';

export interface PlannedRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** One request as the client saw it. */
export interface TracedRequest {
  /** Sent as X-Request-Id, so the server's access-log line can be matched to it. */
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status?: number;
  /** Transport error code (ECONNRESET, ECONNREFUSED, timeout, ...); set when there is no status. */
  readonly error?: string;
  /** Whether it went out on a kept-alive socket that had already carried a request. */
  readonly reusedSocket: boolean;
}

export interface TracedLoadOptions {
  readonly port: number;
  /** The n-th request (0-based) of the run. */
  readonly nextRequest: (n: number) => PlannedRequest;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly maxRequests: number;
  /** Per-request limit; past it the request is recorded with error 'timeout'. */
  readonly requestTimeoutMs?: number;
  /** Reuse sockets (one per loop at most) as browsers and balancers do; default false. */
  readonly keepAlive?: boolean;
  /** Prefix of the request ids, so the runs of one test are told apart in the logs. */
  readonly idPrefix?: string;
  /**
   * At most this many requests started per second (a steady rate, not a flood that starves whatever
   * else the test needs the CPU for, such as a booting replacement); unset: as fast as answers come.
   */
  readonly ratePerS?: number;
}

export interface TracedLoadResult {
  readonly requests: readonly TracedRequest[];
  readonly statuses: Readonly<Record<number, number>>;
  readonly errors: Readonly<Record<string, number>>;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface TracedLoad {
  /** Ends the loops (requests under way finish); resolves with every request made. */
  stop(): Promise<TracedLoadResult>;
  readonly done: Promise<TracedLoadResult>;
}

function send(agent: http.Agent | false, port: number, id: string, planned: PlannedRequest, timeoutMs: number) {
  return new Promise<TracedRequest>((resolve) => {
    const startedAt = Date.now();
    const body = planned.body === undefined ? undefined : Buffer.from(JSON.stringify(planned.body));
    let reused = false;
    const finish = (outcome: { status: number } | { error: string }) =>
      resolve({
        id,
        method: planned.method,
        path: planned.path,
        startedAt,
        endedAt: Date.now(),
        reusedSocket: reused,
        ...outcome,
      });
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: planned.method,
        path: planned.path,
        agent,
        timeout: timeoutMs,
        headers: {
          'X-Request-Id': id,
          ...(body && { 'Content-Type': 'application/json', 'Content-Length': String(body.length) }),
          ...planned.headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => finish({ status: res.statusCode ?? 0 }));
        res.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? 'response-error' }));
      },
    );
    req.on('socket', () => {
      reused = req.reusedSocket;
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
    req.end(body);
  });
}

/**
 * Closed-loop load on loopback, bounded in time and request count, that keeps
 * every request's timing and outcome: enough to tell which requests were in
 * flight at a given moment, and to match each with the server's access log.
 */
export function startTracedLoad(opts: TracedLoadOptions): TracedLoad {
  // fifo: every kept-alive socket is used in turn, so none sits idle long enough to meet the server's timeout.
  const agent =
    opts.keepAlive === true
      ? new http.Agent({ keepAlive: true, maxSockets: opts.concurrency, scheduling: 'fifo' })
      : false;
  const prefix = opts.idPrefix ?? 'load';
  const finished: TracedRequest[] = [];
  let issued = 0;
  let stopped = false;
  const startedAt = Date.now();
  const deadline = startedAt + opts.durationMs;
  const loop = async () => {
    while (!stopped && Date.now() < deadline && issued < opts.maxRequests) {
      const n = issued++;
      if (opts.ratePerS !== undefined) {
        const due = startedAt + (n * 1000) / opts.ratePerS;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        if (stopped) break;
      }
      finished.push(
        await send(agent, opts.port, `${prefix}-${n}`, opts.nextRequest(n), opts.requestTimeoutMs ?? 10_000),
      );
    }
  };
  const done = Promise.all(Array.from({ length: opts.concurrency }, loop)).then(() => {
    if (agent) agent.destroy();
    const statuses: Record<number, number> = {};
    const errors: Record<string, number> = {};
    for (const r of finished) {
      if (r.status !== undefined) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      else if (r.error !== undefined) errors[r.error] = (errors[r.error] ?? 0) + 1;
    }
    return { requests: finished, statuses, errors, startedAt, endedAt: Date.now() };
  });
  return {
    done,
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

/**
 * The load's pace: requests started per second, from the first start to the last. Requests over the
 * whole run would be diluted by one request left hanging to its timeout after the last start.
 */
export function startedPerS(result: TracedLoadResult): number {
  const starts = result.requests.map((r) => r.startedAt);
  const spanMs = Math.max(...starts) - Math.min(...starts);
  return starts.length < 2 || spanMs <= 0 ? 0 : Math.round(((starts.length - 1) * 1000) / spanMs);
}

/** Requests that got no answer, or an answer other than `okStatuses`. */
export const failedRequests = (result: TracedLoadResult, okStatuses: readonly number[] = [200]) =>
  result.requests.filter((r) => r.status === undefined || !okStatuses.includes(r.status));

/**
 * Reads and writes, as the fault tests send them: point lookups and short pages over `wells` sample
 * wells, and a new well (unique site code, `prefix`-n) in every fifth request.
 */
export function readWriteMix(writeKey: string, wells: number, prefix: string): (n: number) => PlannedRequest {
  return (n) =>
    n % 5 === 4
      ? {
          method: 'POST',
          path: '/api/v1/wells',
          headers: { Authorization: `Bearer ${writeKey}` },
          body: { site_code: `${prefix}-${n}`, name: `well ${n}`, latitude: 38.5, longitude: -98.2 },
        }
      : { method: 'GET', path: n % 2 === 0 ? `/api/v1/wells/${(n % wells) + 1}` : '/api/v1/wells?limit=20' };
}

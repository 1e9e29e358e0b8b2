/**
 * One bounded autocannon run against a loopback URL, with each response's
 * status and latency kept (autocannon's own histogram mixes every status, and
 * the overload step needs the successful ones apart).
 */
import autocannon from 'autocannon';
import { isLoopbackHost } from '../server/loadtest/target';

export interface LoadOptions {
  readonly origin: string;
  readonly connections: number;
  readonly durationS: number;
  /** The path of each request; called once per request. */
  readonly nextPath: () => string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  /** Also check each response's headers (collecting bodies costs the client a little). */
  readonly onHeaders?: (status: number, headers: Readonly<Record<string, string | string[] | undefined>>) => void;
}

export interface LoadResult {
  readonly durationS: number;
  readonly requests: number;
  readonly requestsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly byStatus: Readonly<Record<string, number>>;
  /** Latencies of the 2xx responses only, p50 and p99 (ms). */
  readonly ok: { readonly count: number; readonly p50Ms: number; readonly p99Ms: number };
  readonly errors: number;
  readonly timeouts: number;
}

/** The value at quantile q (0..1) of an ascending array; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** Every response's latency, growing in chunks: a 30 s overload can produce a few hundred thousand. */
class LatencyLog {
  private values = new Float64Array(1 << 16);
  length = 0;
  push(ms: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = ms;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.origin);
  // Load is an attack on anything it was not meant for: this bench only ever targets itself.
  if (!isLoopbackHost(url.hostname)) throw new Error(`refusing to send load to ${url.hostname}: loopback only`);
  const all = new LatencyLog();
  const ok = new LatencyLog();
  const byStatus: Record<string, number> = {};
  const options: autocannon.Options = {
    url: opts.origin,
    connections: opts.connections,
    duration: opts.durationS,
    // A request with no answer in this long counts as a timeout (the bench requires none).
    timeout: 30,
    method: opts.method ?? 'GET',
    ...(opts.headers && { headers: { ...opts.headers } }),
    requests: [
      {
        setupRequest: (req) => ({ ...req, path: opts.nextPath() }),
        ...(opts.onHeaders && {
          onResponse: (
            status: number,
            _body: string,
            _context: unknown,
            headers?: Record<string, string | string[] | undefined>,
          ) => opts.onHeaders?.(status, headers ?? {}),
        }),
      },
    ],
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (err: Error | null, res: autocannon.Result) =>
      err ? reject(err) : resolve(res),
    );
    instance.on('response', (_client, status: number, _bytes: number, ms: number) => {
      all.push(ms);
      if (status >= 200 && status < 300) ok.push(ms);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    });
  });
  const sortedAll = all.sorted();
  const sortedOk = ok.sorted();
  const durationS = result.duration;
  return {
    durationS,
    requests: all.length,
    // Successful answers only: a contender failing fast (503s from a starved pool, say) must not look fast.
    requestsPerS: ok.length / durationS,
    p50Ms: quantile(sortedAll, 0.5),
    p99Ms: quantile(sortedAll, 0.99),
    byStatus,
    ok: { count: ok.length, p50Ms: quantile(sortedOk, 0.5), p99Ms: quantile(sortedOk, 0.99) },
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

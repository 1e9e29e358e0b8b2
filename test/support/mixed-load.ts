import { performance } from 'node:perf_hooks';
import { requestOnce, type RequestKind, type RequestRecord, type RequestSpec } from './request-once';

/** Requests allowed in flight at once; an arrival beyond it is skipped and counted, not queued. */
const MAX_IN_FLIGHT = 300;
/** Share of requests that are writes (the rest: 3/4 point lookups, 1/4 list pages). */
const WRITE_SHARE = 0.2;

export interface MixedLoadOptions {
  readonly port: number;
  /** Offered load, requests per second, kept whatever the answers take (open loop). */
  readonly ratePerS: number;
  readonly durationMs: number;
  readonly maxRequests: number;
  /** Per-request limit: past it the request is destroyed and recorded as error 'timeout'. */
  readonly requestTimeoutMs: number;
  /** A key with the write scope, for POST /api/v1/wells. */
  readonly writeKey: string;
  /** Ids of wells that exist, for GET /api/v1/wells/:id. */
  readonly wellIds: readonly string[];
  /** Prefix of the site codes written, unique per run so writes never collide. */
  readonly siteCodePrefix: string;
}

export interface RunningMixedLoad {
  /** Arrivals skipped because MAX_IN_FLIGHT were already under way. */
  readonly skipped: () => number;
  /** Stops issuing; resolves once every request issued has ended, with all of them in start order. */
  stop(): Promise<readonly RequestRecord[]>;
  readonly done: Promise<readonly RequestRecord[]>;
}

const TICK_MS = 10;

/** The load's request number `seq` of `kind`. */
function loadRequest(opts: MixedLoadOptions, kind: RequestKind, seq: number): RequestSpec {
  if (kind === 'write') {
    const body = {
      site_code: `${opts.siteCodePrefix}-${seq}`,
      name: `fault load well ${seq}`,
      latitude: 38 + (seq % 100) / 1000,
      longitude: -100 - (seq % 100) / 1000,
    };
    return { kind, method: 'POST', path: '/api/v1/wells', body, key: opts.writeKey };
  }
  if (kind === 'get') return { kind, method: 'GET', path: `/api/v1/wells/${opts.wellIds[seq % opts.wellIds.length]}` };
  return { kind, method: 'GET', path: '/api/v1/wells?limit=20' };
}

/**
 * Open-loop load of reads and writes on loopback: requests start on schedule at
 * `ratePerS` whether or not earlier ones have answered, so a hang shows as
 * requests piling up, not as a quietly lower rate. Bounded by duration, count
 * and each request's own timeout.
 */
export function startMixedLoad(opts: MixedLoadOptions): RunningMixedLoad {
  const records: RequestRecord[] = [];
  const pending = new Set<Promise<void>>();
  const startedAt = performance.now();
  let issued = 0;
  let skipped = 0;
  let stopped = false;
  let resolveDone: (r: readonly RequestRecord[]) => void = () => undefined;
  const done = new Promise<readonly RequestRecord[]>((resolve) => (resolveDone = resolve));

  const kindOf = (seq: number): RequestKind => {
    // Deterministic interleaving: every request index maps to one kind, in the shares asked for.
    const writesSoFar = Math.floor(seq * WRITE_SHARE);
    if (Math.floor((seq + 1) * WRITE_SHARE) > writesSoFar) return 'write';
    return seq % 4 === 3 ? 'list' : 'get';
  };

  const finish = async () => {
    clearInterval(timer);
    while (pending.size > 0) await Promise.all(pending);
    records.sort((a, b) => a.startedAt - b.startedAt);
    resolveDone(records);
  };

  const tick = () => {
    const now = performance.now();
    if (stopped || now - startedAt >= opts.durationMs || issued >= opts.maxRequests) {
      if (!stopped) {
        stopped = true;
        void finish();
      }
      return;
    }
    // Catch up to the schedule: a late timer tick still issues every arrival due by now.
    const due = Math.min(opts.maxRequests, Math.floor(((now - startedAt) * opts.ratePerS) / 1000));
    for (; issued < due; issued++) {
      if (pending.size >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      const p: Promise<void> = requestOnce(
        opts.port,
        loadRequest(opts, kindOf(issued), issued),
        opts.requestTimeoutMs,
      ).then((record) => {
        records.push(record);
        pending.delete(p);
      });
      pending.add(p);
    }
  };
  const timer = setInterval(tick, TICK_MS);

  return {
    skipped: () => skipped,
    done,
    stop: () => {
      if (!stopped) {
        stopped = true;
        void finish();
      }
      return done;
    },
  };
}

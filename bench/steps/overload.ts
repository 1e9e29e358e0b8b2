/**
 * Step 3: 20 × the connection budget against the point lookup. The app must
 * keep to its budget in pg_stat_activity, answer only 200 or 503 with
 * Retry-After, keep the 200s within the acquire timeout, and keep serving
 * close to its unloaded rate (goodput) rather than collapsing.
 */
import { overloadConnections, type BenchSettings } from '../args';
import type { BenchDatabase } from '../database';
import { runLoad } from '../load';
import { bucketTimeline, countResponse, summarizeActivity, type SecondCounts } from '../overload-timeline';
import type { RunningApp } from '../processes';
import type { EventLoopJson, OverloadJson } from '../result';
import { ratio, round2, round4 } from '../stats';
import { ACTIVITY_INTERVAL_MS, sampleActivity } from './activity';
import { scrapeEventLoop } from './event-loop';
import { POINT_PATH } from './point-lookup';

export interface OverloadOutcome {
  readonly overload: OverloadJson;
  readonly eventLoop: EventLoopJson['overload'];
}

const hasRetryAfter = (headers: Readonly<Record<string, string | string[] | undefined>>) =>
  Object.entries(headers).some(
    ([name, value]) => name.toLowerCase() === 'retry-after' && value !== undefined && value !== '',
  );

export async function runOverload(opts: {
  readonly settings: BenchSettings;
  readonly app: RunningApp;
  readonly appName: string;
  readonly database: BenchDatabase;
  readonly acquireTimeoutMs: number;
  /** The app's median req/s in the point-lookup step; null when that step did not run. */
  readonly peakRequestsPerS: number | null;
  readonly pickId: () => string;
  readonly readEventLoop: boolean;
  readonly progress: (line: string) => void;
}): Promise<OverloadOutcome> {
  const { settings, app } = opts;
  const connections = overloadConnections(settings);
  opts.progress(`overload: ${connections} connections for ${settings.overloadSeconds} s`);
  if (opts.readEventLoop) await scrapeEventLoop(app.metricsUrl);
  const perSecond: SecondCounts[] = [];
  let missingRetryAfter = 0;
  const startedAt = performance.now();
  const sampler = sampleActivity(opts.database, opts.appName, startedAt);
  // The sampler is stopped however the load ends, so its connection never outlives the step.
  const result = await runLoad({
    origin: app.origin,
    connections,
    durationS: settings.overloadSeconds,
    nextPath: () => `/api/v1/wells/${opts.pickId()}`,
    onHeaders: (status, headers) => {
      countResponse(perSecond, performance.now() - startedAt, status);
      if (status === 503 && !hasRetryAfter(headers)) missingRetryAfter++;
    },
  }).catch(async (err: unknown) => {
    await sampler.stop();
    throw err;
  });
  const activity = await sampler.stop();
  const loop = opts.readEventLoop ? await scrapeEventLoop(app.metricsUrl) : null;
  const okCount = result.byStatus['200'] ?? 0;
  const goodput = okCount / result.durationS;
  const fraction = ratio(goodput, opts.peakRequestsPerS);
  opts.progress(
    `overload: ${result.requests} responses, ${okCount} 200s (${goodput.toFixed(0)}/s), ` +
      `max ${Math.max(0, ...activity.samples.map((s) => s.connections))} connections of ${settings.budget}`,
  );
  const finiteOrNull = (v: number) => (Number.isFinite(v) ? round2(v) : null);
  return {
    overload: {
      path: POINT_PATH,
      connections,
      seconds: settings.overloadSeconds,
      budget: settings.budget,
      acquire_timeout_ms: opts.acquireTimeoutMs,
      requests: result.requests,
      statuses: { ...result.byStatus },
      missing_retry_after: missingRetryAfter,
      ok: { count: result.ok.count, p50_ms: finiteOrNull(result.ok.p50Ms), p99_ms: finiteOrNull(result.ok.p99Ms) },
      goodput_per_s: round2(goodput),
      peak_requests_per_s: opts.peakRequestsPerS,
      goodput_fraction: fraction === null ? null : round4(fraction),
      errors: result.errors,
      timeouts: result.timeouts,
      // autocannon counts a timeout as an error too; the rest failed on the socket.
      socket_errors: result.errors - result.timeouts,
      activity: summarizeActivity(activity.samples, activity.errors, ACTIVITY_INTERVAL_MS, settings.budget),
      timeline: bucketTimeline(result.durationS, activity.samples, perSecond),
    },
    eventLoop: loop ? { p99_ms: loop.p99Ms, by_worker: loop.byWorker } : null,
  };
}

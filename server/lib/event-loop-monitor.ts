import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from './logger';
import { routesFinishedWithin, routesInFlight } from './request-context';

/** Event-loop delay since the last `takeDelays`, in milliseconds. */
export interface EventLoopDelays {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface EventLoopMonitor {
  /** The delays since the previous call (for metrics), then starts over. Null when nothing was sampled. */
  takeDelays(): EventLoopDelays | null;
  stop(): void;
}

/** How often the delay histogram samples the loop. */
const SAMPLE_EVERY_MS = 10;

/**
 * Node's histogram records the whole time between its timer's callbacks, which is the sampling
 * interval itself plus the delay: an idle loop reads about 10 ms. The delay is what is beyond it.
 */
function delaysFrom(histogram: IntervalHistogram, intervalMs: number): EventLoopDelays | null {
  if (histogram.count === 0) return null;
  const beyond = (ns: number) => Math.max(0, ns / 1e6 - intervalMs);
  return {
    samples: histogram.count,
    p50Ms: beyond(histogram.percentile(50)),
    p99Ms: beyond(histogram.percentile(99)),
    maxMs: beyond(histogram.max),
  };
}

/** How often the stall check runs; a stall shorter than the threshold plus this may go unnoticed. */
const CHECK_EVERY_MS = 50;

/**
 * Watches the event loop. A check that runs `warnMs` or more late means
 * something ran synchronously that long, starving every other request; the
 * warning names the routes in flight and those that finished during the stall,
 * one of which ran it. `warnMs` 0 only keeps the histogram.
 */
export function monitorEventLoop(logger: Logger, warnMs: number): EventLoopMonitor {
  const histogram = monitorEventLoopDelay({ resolution: SAMPLE_EVERY_MS });
  histogram.enable();
  let timer: NodeJS.Timeout | undefined;
  if (warnMs > 0) {
    let expected = performance.now() + CHECK_EVERY_MS;
    timer = setInterval(() => {
      const now = performance.now();
      const lateMs = now - expected;
      expected = now + CHECK_EVERY_MS;
      if (lateMs >= warnMs) {
        // A handler that blocked and then answered at once has finished by now: name those too.
        const routesFinished = routesFinishedWithin(lateMs + CHECK_EVERY_MS);
        logger.warn(
          { delayMs: Math.round(lateMs), thresholdMs: warnMs, routesInFlight: routesInFlight(), routesFinished },
          'event loop blocked',
        );
      }
    }, CHECK_EVERY_MS);
    // Never the reason a draining worker stays alive.
    timer.unref();
  }
  return {
    takeDelays() {
      const delays = delaysFrom(histogram, SAMPLE_EVERY_MS);
      histogram.reset();
      return delays;
    },
    stop() {
      if (timer) clearInterval(timer);
      histogram.disable();
    },
  };
}

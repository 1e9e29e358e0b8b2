import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from './logger';
import { routesFinishedWithin, routesInFlight } from './request-context';

export interface EventLoopMonitor {
  /** Event-loop delay samples (nanoseconds) since the last reset: for metrics. */
  readonly histogram: IntervalHistogram;
  stop(): void;
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
  const histogram = monitorEventLoopDelay({ resolution: 10 });
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
    histogram,
    stop() {
      if (timer) clearInterval(timer);
      histogram.disable();
    },
  };
}

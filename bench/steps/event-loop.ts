/**
 * Event-loop delay in the app's workers, from its host-wide scrape. Each
 * worker's p99 covers the time since the previous scrape (the scrape resets
 * it), so a reading is: scrape right before the load (discarded), scrape
 * right after (kept), and take the worst worker.
 */
import { parsePrometheus, samplesOf } from '../../server/loadtest/prometheus-text';
import { round2 } from '../stats';

export interface EventLoopReading {
  /** The worst worker's p99 in ms; null when no worker reported. */
  readonly p99Ms: number | null;
  readonly byWorker: Readonly<Record<string, number>>;
}

/** A scrape answered slower than this is a failed reading, not a stalled bench. */
const SCRAPE_TIMEOUT_MS = 5_000;

/** The reading in one scrape's text (pure). */
export function eventLoopFromScrape(text: string): EventLoopReading {
  const byWorker: Record<string, number> = {};
  for (const s of samplesOf(parsePrometheus(text), 'aquifer_event_loop_delay_seconds', { quantile: '0.99' })) {
    byWorker[s.labels.worker ?? '?'] = round2(s.value * 1000);
  }
  const values = Object.values(byWorker);
  return { p99Ms: values.length === 0 ? null : Math.max(...values), byWorker };
}

/** Scrapes the app's metrics once; a failed scrape reads as "no reading" rather than failing the run. */
export async function scrapeEventLoop(metricsUrl: string): Promise<EventLoopReading> {
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    const text = await res.text();
    if (res.status !== 200) return { p99Ms: null, byWorker: {} };
    return eventLoopFromScrape(text);
  } catch {
    return { p99Ms: null, byWorker: {} };
  }
}

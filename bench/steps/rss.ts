/**
 * Resident set size of the app's workers during a bulk upload, from
 * /proc/<pid>/status (Linux only: elsewhere there is no reading, and the
 * report says "not measured").
 */
import fs from 'node:fs';

export const RSS_INTERVAL_MS = 100;

/** VmRSS of `pid` in kB; null when /proc has none (not Linux, or the process is gone). */
export function rssKb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface RssPeak {
  readonly pid: number;
  readonly baselineKb: number;
  readonly peakKb: number;
}

/** Samples every pid every RSS_INTERVAL_MS from now (the first reading is the baseline) until stopped. */
export function sampleRss(pids: readonly number[]): { stop(): RssPeak[] } {
  const peaks = new Map<number, { baselineKb: number; peakKb: number }>();
  for (const pid of pids) {
    const kb = rssKb(pid);
    if (kb !== null) peaks.set(pid, { baselineKb: kb, peakKb: kb });
  }
  const sample = () => {
    for (const [pid, p] of peaks) p.peakKb = Math.max(p.peakKb, rssKb(pid) ?? 0);
  };
  const timer = setInterval(sample, RSS_INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return [...peaks].map(([pid, p]) => ({ pid, ...p }));
    },
  };
}

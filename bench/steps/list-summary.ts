/** Step 2: the list page and the well summary through the app alone, alternated round by round. */
import { perWorkerPool, type BenchSettings } from '../args';
import { runLoad } from '../load';
import type { RunningApp } from '../processes';
import type { ListSummaryJson } from '../result';
import { summarizeContender, toRunJson } from '../stats';
import { alternateRounds } from './rounds';
import { warmupSeconds } from './point-lookup';

export async function runListSummary(opts: {
  readonly settings: BenchSettings;
  readonly app: RunningApp;
  readonly pickId: () => string;
  readonly progress: (line: string) => void;
}): Promise<ListSummaryJson> {
  const { settings, app, progress } = opts;
  // Two "contenders" on the same origin: alternating them spreads drift over both, as in step 1.
  const kinds = {
    list: { label: 'GET /api/v1/wells?limit=100', path: () => '/api/v1/wells?limit=100' },
    summary: { label: 'GET /api/v1/wells/:id/summary', path: () => `/api/v1/wells/${opts.pickId()}/summary` },
  } as const;
  const contenders = (['list', 'summary'] as const).map((name) => ({ name, origin: app.origin }));
  const load = (name: string, durationS: number) => ({
    origin: app.origin,
    connections: settings.connections,
    durationS,
    nextPath: kinds[name as keyof typeof kinds].path,
  });
  const warmup = warmupSeconds(settings.roundSeconds);
  for (const c of contenders) {
    progress(`list & summary: warming up ${c.name} for ${warmup} s`);
    await runLoad(load(c.name, warmup));
  }
  const runs = await alternateRounds(
    contenders,
    settings.rounds,
    (c) => load(c.name, settings.roundSeconds),
    (c, round, r) =>
      progress(
        `${c.name} round ${round + 1}/${settings.rounds}: ${r.requestsPerS.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(1)} ms`,
      ),
  );
  const summarize = (name: keyof typeof kinds) =>
    summarizeContender(
      {
        name,
        label: kinds[name].label,
        workers: settings.workers,
        pool_per_worker: perWorkerPool(settings),
      },
      (runs.byContender[name] ?? []).map((r, round) => toRunJson(r, round + 1)),
    );
  return {
    connections: settings.connections,
    rounds: settings.rounds,
    round_seconds: settings.roundSeconds,
    list: summarize('list'),
    summary: summarize('summary'),
  };
}

/**
 * Step 1 (and 6): the point lookup through every contender, alternated round
 * by round at the same connection count, after a warm-up each (JIT, pools
 * and prepared statements filled). The one-worker app runs in the same
 * rotation, which is the scaling comparison.
 */
import type { BenchSettings } from '../args';
import { runLoad } from '../load';
import type { RunningApp, RunningContender } from '../processes';
import type { EventLoopJson, PointLookupJson, RunJson, ScalingJson } from '../result';
import {
  median,
  pairedRatio,
  pointLookupRatios,
  requestsPerRound,
  summarizeContender,
  toRunJson,
  type PointLookupNames,
} from '../stats';
import { scrapeEventLoop } from './event-loop';
import { alternateRounds } from './rounds';

export interface LineupEntry {
  readonly contender: RunningContender;
  readonly label: string;
  readonly workers: number;
  readonly poolPerWorker: number;
  /** Set for the app: where its event-loop delay is read. */
  readonly app?: RunningApp;
}

export interface PointLookupOutcome {
  readonly point: PointLookupJson;
  readonly scaling: ScalingJson | null;
  readonly eventLoop: EventLoopJson['point_lookup'];
}

export const POINT_PATH = '/api/v1/wells/:id (random seeded ids)';

/** Long enough to fill pools and JIT, short next to the rounds: a third of a round, 1 to 5 s. */
export const warmupSeconds = (roundSeconds: number): number => Math.max(1, Math.min(5, Math.ceil(roundSeconds / 3)));

export async function runPointLookup(opts: {
  readonly settings: BenchSettings;
  readonly lineup: readonly LineupEntry[];
  /** Names in the lineup: the app at --workers, and the others when they run. */
  readonly names: PointLookupNames & { readonly oneWorker?: string };
  readonly pickId: () => string;
  readonly readEventLoop: boolean;
  readonly progress: (line: string) => void;
}): Promise<PointLookupOutcome> {
  const { settings, lineup, names, progress } = opts;
  const load = (c: { origin: string }, durationS: number) => ({
    origin: c.origin,
    connections: settings.connections,
    durationS,
    nextPath: () => `/api/v1/wells/${opts.pickId()}`,
  });
  const warmup = warmupSeconds(settings.roundSeconds);
  for (const entry of lineup) {
    progress(`point lookup: warming up ${entry.label} for ${warmup} s`);
    await runLoad(load(entry.contender, warmup));
  }
  const byName = new Map(lineup.map((e) => [e.contender.name, e]));
  const eventLoop: Record<string, (number | null)[]> = {};
  const runs = await alternateRounds(
    lineup.map((e) => e.contender),
    settings.rounds,
    (c) => load(c, settings.roundSeconds),
    (c, round, result) =>
      progress(
        `point lookup round ${round + 1}/${settings.rounds}: ${byName.get(c.name)?.label}: ` +
          `${result.requestsPerS.toFixed(0)} req/s, p99 ${result.p99Ms.toFixed(1)} ms`,
      ),
    opts.readEventLoop
      ? {
          before: async (c) => {
            const app = byName.get(c.name)?.app;
            if (app) await scrapeEventLoop(app.metricsUrl);
          },
          after: async (c) => {
            const app = byName.get(c.name)?.app;
            if (app) (eventLoop[c.name] ??= []).push((await scrapeEventLoop(app.metricsUrl)).p99Ms);
          },
        }
      : {},
  );
  const contenders = lineup.map((e) =>
    summarizeContender(
      { name: e.contender.name, label: e.label, workers: e.workers, pool_per_worker: e.poolPerWorker },
      (runs.byContender[e.contender.name] ?? []).map((r, round): RunJson => toRunJson(r, round + 1)),
    ),
  );
  const one = contenders.find((c) => c.name === names.oneWorker);
  const app = contenders.find((c) => c.name === names.app);
  // The verdict is about the app as configured (--workers); the one-worker app's figures are context.
  const appRounds = (eventLoop[names.app] ?? []).filter((v): v is number => v !== null);
  return {
    point: {
      path: POINT_PATH,
      connections: settings.connections,
      rounds: settings.rounds,
      round_seconds: settings.roundSeconds,
      warmup_seconds: warmup,
      contenders,
      ...pointLookupRatios(contenders, names),
    },
    scaling:
      one && app
        ? {
            workers: settings.workers,
            ratio: pairedRatio(requestsPerRound(app), requestsPerRound(one)),
            many: app.label,
            one: one.label,
          }
        : null,
    eventLoop: opts.readEventLoop
      ? {
          // The median over the app's rounds of each round's worst worker, like every other figure here.
          p99_ms: appRounds.length > 0 ? median(appRounds) : null,
          by_contender: eventLoop,
        }
      : null,
  };
}

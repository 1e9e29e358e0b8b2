/**
 * pg_stat_activity seen from the bench's own connection: how many client
 * backends the app holds (application_name `aquifer:…`), every 100 ms while
 * the overload runs. This is the budget checked from the database's side,
 * whatever the app believes its pools hold.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchDatabase } from '../database';
import type { ActivitySample } from '../overload-timeline';

export const ACTIVITY_INTERVAL_MS = 100;
/** One sample slower than this is counted as failed rather than stalling the sampler. */
const SAMPLE_TIMEOUT_MS = 2_000;

export interface ActivitySampler {
  /** Ends sampling; resolves with the samples (times relative to `startedAt`) and the failed count. */
  stop(): Promise<{ samples: ActivitySample[]; errors: number }>;
}

export function sampleActivity(database: BenchDatabase, appName: string, startedAt: number): ActivitySampler {
  const samples: ActivitySample[] = [];
  let errors = 0;
  let running = true;
  const done = database
    .connect(
      'activity',
      async (db) => {
        while (running) {
          const began = performance.now();
          try {
            const row = await db.one<{ n: number }>({
              text: `SELECT count(*)::int AS n FROM pg_stat_activity
                     WHERE backend_type = 'client backend' AND datname = current_database()
                       AND application_name LIKE $1`,
              values: [`${appName}:%`],
            });
            samples.push({ atMs: began - startedAt, connections: row.n });
          } catch {
            errors++;
          }
          await sleep(Math.max(0, ACTIVITY_INTERVAL_MS - (performance.now() - began)));
        }
      },
      SAMPLE_TIMEOUT_MS,
    )
    .catch(() => {
      errors++; // could not even connect: the report shows no samples, and the verdict "not measured"
    });
  return {
    stop: async () => {
      running = false;
      await done;
      return { samples, errors };
    },
  };
}

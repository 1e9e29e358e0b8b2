import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { withSingleConnection } from '../../server/lib/db';

export interface ActivitySample {
  readonly at: number;
  /** Backends per application_name, for the names matching the pattern. */
  readonly byApp: Readonly<Record<string, number>>;
  readonly total: number;
  /** The counted backends' process ids. */
  readonly pids: readonly number[];
}

export interface ActivitySampler {
  /** Ends sampling and returns every sample taken. */
  stop(): Promise<ActivitySample[]>;
}

/**
 * Samples pg_stat_activity for one database every `intervalMs` on its own
 * connection (not counted), counting backends whose application_name matches `pattern` (LIKE).
 */
export function sampleActivity(url: string, database: string, pattern: string, intervalMs = 50): ActivitySampler {
  const samples: ActivitySample[] = [];
  let running = true;
  const done = withSingleConnection(
    url,
    'sampler',
    10_000,
    async (db) => {
      while (running) {
        const began = performance.now();
        const rows = await db.many<{ application_name: string; n: number; pids: number[] }>({
          text: `SELECT application_name, count(*)::int AS n, array_agg(pid) AS pids FROM pg_stat_activity
               WHERE datname = $1 AND application_name LIKE $2
                 -- Connections only: autovacuum workers also name the database (with an empty application_name).
                 AND backend_type = 'client backend' AND pid <> pg_backend_pid()
               GROUP BY application_name`,
          values: [database, pattern],
        });
        const byApp = Object.fromEntries(rows.map((r) => [r.application_name, r.n]));
        samples.push({
          at: Date.now(),
          byApp,
          total: rows.reduce((sum, r) => sum + r.n, 0),
          pids: rows.flatMap((r) => r.pids),
        });
        // A steady cadence: on a busy machine the query itself may take most of the interval.
        await sleep(Math.max(0, intervalMs - (performance.now() - began)));
      }
      // Bounded: a stuck sample fails the test instead of hanging it.
    },
    { queryTimeoutMs: 5_000 },
  );
  return {
    stop: async () => {
      running = false;
      await done;
      return samples;
    },
  };
}

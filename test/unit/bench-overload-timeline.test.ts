import {
  bucketTimeline,
  countResponse,
  MAX_BUCKETS,
  summarizeActivity,
  type SecondCounts,
} from '../../bench/overload-timeline';

describe('countResponse', () => {
  it('counts each response in the second it arrived, by kind', () => {
    const perSecond: SecondCounts[] = [];
    for (const [atMs, status] of [
      [10, 200],
      [999, 503],
      [1000, 200],
      [2500, 500],
      [-3, 200], // a clock hair before the start belongs to second 0
    ] as const) {
      countResponse(perSecond, atMs, status);
    }
    expect(perSecond).toEqual([
      { ok: 2, busy: 1, other: 0 },
      { ok: 1, busy: 0, other: 0 },
      { ok: 0, busy: 0, other: 1 },
    ]);
  });
});

describe('summarizeActivity', () => {
  it.each([
    [[], 16, { samples: 0, max_connections: null, samples_over_budget: 0 }],
    [[3, 16, 9], 16, { samples: 3, max_connections: 16, samples_over_budget: 0 }],
    [[3, 17, 18], 16, { samples: 3, max_connections: 18, samples_over_budget: 2 }],
  ])('%j against budget %i', (connections, budget, expected) => {
    const samples = connections.map((c, i) => ({ atMs: i * 100, connections: c }));
    expect(summarizeActivity(samples, 1, 100, budget)).toEqual({ ...expected, sample_errors: 1, interval_ms: 100 });
  });
});

describe('bucketTimeline', () => {
  const second = (ok: number, busy = 0, other = 0): SecondCounts => ({ ok, busy, other });

  it('keeps one-second buckets for a short step, with the max connections of each', () => {
    const samples = [
      { atMs: 50, connections: 4 },
      { atMs: 900, connections: 16 },
      { atMs: 1500, connections: 12 },
    ];
    expect(bucketTimeline(3, samples, [second(100), second(90, 10), second(80, 20, 1)])).toEqual({
      bucket_seconds: 1,
      buckets: [
        { t_s: 0, connections_max: 16, ok_per_s: 100, busy_per_s: 0, other_per_s: 0 },
        { t_s: 1, connections_max: 12, ok_per_s: 90, busy_per_s: 10, other_per_s: 0 },
        { t_s: 2, connections_max: null, ok_per_s: 80, busy_per_s: 20, other_per_s: 1 },
      ],
    });
  });

  it('folds the run’s final fraction of a second into the last bucket', () => {
    const t = bucketTimeline(2.02, [], [second(10), second(10), second(5)]);
    expect(t.buckets.map((b) => b.ok_per_s)).toEqual([10, 15]);
  });

  it(`widens the buckets to stay within ${MAX_BUCKETS}, and averages per second`, () => {
    const perSecond = Array.from({ length: 100 }, (_, i) => second(i % 2 === 0 ? 10 : 20));
    const t = bucketTimeline(100, [], perSecond);
    expect(t.bucket_seconds).toBe(4);
    expect(t.buckets).toHaveLength(25);
    expect(t.buckets[0]).toEqual({ t_s: 0, connections_max: null, ok_per_s: 15, busy_per_s: 0, other_per_s: 0 });
    expect(t.buckets.at(-1)?.t_s).toBe(96);
  });

  it('divides a partial last bucket by the seconds it covers', () => {
    const t = bucketTimeline(
      31,
      [],
      Array.from({ length: 31 }, () => second(10)),
    );
    expect(t.bucket_seconds).toBe(2);
    expect(t.buckets.at(-1)).toMatchObject({ t_s: 30, ok_per_s: 10 });
  });
});

import type { BenchJson, OverloadJson, VerdictId, VerdictJson } from '../../bench/result';
import { TARGETS, judge } from '../../bench/verdicts';
import { benchResult } from '../support/bench-result';

type Parts = Pick<BenchJson, 'point_lookup' | 'overload' | 'event_loop' | 'bulk'>;

const full = benchResult();
const parts: Parts = {
  point_lookup: full.point_lookup,
  overload: full.overload,
  event_loop: full.event_loop,
  bulk: full.bulk,
};
const byId = (verdicts: readonly VerdictJson[], id: VerdictId) => verdicts.find((v) => v.id === id) as VerdictJson;
const overload = (over: Partial<OverloadJson>): Parts => ({
  ...parts,
  overload: { ...(full.overload as OverloadJson), ...over },
});
const activity = (over: Partial<OverloadJson['activity']>) => ({
  ...(full.overload as OverloadJson).activity,
  ...over,
});
const withRatio = (key: 'point' | 'bulk', value: number | null): Parts => {
  const r = { median_of_rounds: value, of_medians: value, by_round: [value] };
  if (key === 'point')
    return {
      ...parts,
      point_lookup: { ...(full.point_lookup as NonNullable<Parts['point_lookup']>), app_vs_fastify: r },
    };
  return { ...parts, bulk: { ...(full.bulk as NonNullable<Parts['bulk']>), ratio: r } };
};
const withLoop = (point: number | null, over: number | null): Parts => ({
  ...parts,
  event_loop: { point_lookup: { p99_ms: point, by_contender: {} }, overload: { p99_ms: over, by_worker: {} } },
});
const withRss = (mb: number | null): Parts => {
  const bulk = full.bulk as NonNullable<Parts['bulk']>;
  return { ...parts, bulk: { ...bulk, app: { ...bulk.app, max_rss_growth_mb: mb } } };
};

describe('judge', () => {
  it('lists every target once, in a fixed order', () => {
    expect(judge(parts).map((v) => v.id)).toEqual([
      'point-lookup-vs-fastify',
      'overload-connections',
      'overload-statuses',
      'overload-goodput',
      'overload-p99',
      'event-loop-point-lookup',
      'event-loop-overload',
      'bulk-vs-copy',
      'bulk-rss',
    ]);
  });

  it.each<[string, Parts, VerdictId, boolean | null]>([
    ['0.8× Fastify exactly passes', withRatio('point', 0.8), 'point-lookup-vs-fastify', true],
    ['0.7999× Fastify misses', withRatio('point', 0.7999), 'point-lookup-vs-fastify', false],
    ['no Fastify ratio is not measured', withRatio('point', null), 'point-lookup-vs-fastify', null],
    [
      'connections at the budget pass',
      overload({ activity: activity({ max_connections: 16, samples_over_budget: 0 }) }),
      'overload-connections',
      true,
    ],
    [
      'one sample above the budget misses',
      overload({ activity: activity({ max_connections: 17, samples_over_budget: 1 }) }),
      'overload-connections',
      false,
    ],
    [
      'no sample is not measured',
      overload({ activity: activity({ samples: 0, max_connections: null }) }),
      'overload-connections',
      null,
    ],
    ['200 and 503 only pass', overload({ statuses: { '200': 5, '503': 5 } }), 'overload-statuses', true],
    ['a 500 misses', overload({ statuses: { '200': 5, '500': 1 } }), 'overload-statuses', false],
    ['a 503 without Retry-After misses', overload({ missing_retry_after: 1 }), 'overload-statuses', false],
    ['a timeout misses', overload({ errors: 1, timeouts: 1 }), 'overload-statuses', false],
    ['a socket error misses', overload({ errors: 1, socket_errors: 1 }), 'overload-statuses', false],
    ['no response at all is not measured', overload({ requests: 0, statuses: {} }), 'overload-statuses', null],
    ['goodput at 90% passes', overload({ goodput_fraction: 0.9 }), 'overload-goodput', true],
    ['goodput at 89.99% misses', overload({ goodput_fraction: 0.8999 }), 'overload-goodput', false],
    [
      'goodput without a peak is not measured',
      overload({ goodput_fraction: null, peak_requests_per_s: null }),
      'overload-goodput',
      null,
    ],
    [
      'p99 at the acquire timeout passes',
      overload({ ok: { count: 1, p50_ms: 1, p99_ms: 3000 } }),
      'overload-p99',
      true,
    ],
    ['p99 above it misses', overload({ ok: { count: 1, p50_ms: 1, p99_ms: 3000.01 } }), 'overload-p99', false],
    ['no 200 is not measured', overload({ ok: { count: 0, p50_ms: null, p99_ms: null } }), 'overload-p99', null],
    ['event loop 19.99 ms passes', withLoop(19.99, 1), 'event-loop-point-lookup', true],
    ['event loop 20 ms exactly misses', withLoop(20, 1), 'event-loop-point-lookup', false],
    ['event loop during overload 25 ms misses', withLoop(1, 25), 'event-loop-overload', false],
    ['no event-loop reading is not measured', withLoop(null, null), 'event-loop-overload', null],
    ['bulk 0.7× COPY passes', withRatio('bulk', 0.7), 'bulk-vs-copy', true],
    ['bulk 0.6999× misses', withRatio('bulk', 0.6999), 'bulk-vs-copy', false],
    ['RSS growth 49.9 MB passes', withRss(49.9), 'bulk-rss', true],
    ['RSS growth 50 MB exactly misses', withRss(50), 'bulk-rss', false],
    ['no RSS reading is not measured', withRss(null), 'bulk-rss', null],
  ])('%s', (_name, input, id, pass) => {
    expect(byId(judge(input), id).pass).toBe(pass);
  });

  it('calls every target "not measured", never a pass, when its step did not run', () => {
    const verdicts = judge({ point_lookup: null, overload: null, event_loop: null, bulk: null });
    expect(verdicts.map((v) => v.pass)).toEqual(verdicts.map(() => null));
    expect(byId(verdicts, 'overload-goodput').detail).toBe('the overload step did not run');
    expect(byId(verdicts, 'bulk-rss').detail).toBe('the bulk step did not run');
  });

  it('says in the detail what was measured against what', () => {
    const verdicts = judge(parts);
    expect(byId(verdicts, 'overload-goodput').detail).toBe('930 200s/s of 1000 req/s peak = 93%');
    expect(byId(verdicts, 'overload-statuses').detail).toContain('503 without Retry-After: 0');
    expect(byId(verdicts, 'bulk-vs-copy')).toMatchObject({
      measured: 0.5,
      threshold: TARGETS.bulkVsCopyMin,
      pass: false,
    });
  });
});

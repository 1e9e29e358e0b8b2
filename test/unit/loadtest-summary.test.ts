import { checkPrediction, predictSaturation } from '../../server/loadtest/prediction';
import { readScrape, type ScrapeReading } from '../../server/loadtest/scrape';
import {
  percentile,
  summarizeStep,
  type ResponseRecord,
  type StepJson,
  type StepRecord,
} from '../../server/loadtest/summary';

describe('percentile (nearest rank)', () => {
  const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);
  it.each<[string, number[], number, number | null]>([
    ['p50 of 1..10', oneToTen, 50, 5],
    ['p95 of 1..10', oneToTen, 95, 10],
    ['p10 of 1..10', oneToTen, 10, 1],
    ['p95 of 1..100', oneToHundred, 95, 95],
    ['p99 of 1..100', oneToHundred, 99, 99],
    ['p0 takes the first', oneToTen, 0, 1],
    ['one value', [7], 99, 7],
    ['none', [], 50, null],
  ])('%s', (_name, sorted, p, want) => {
    expect(percentile(sorted, p)).toBe(want);
  });
});

const reading = (over: Partial<ScrapeReading> = {}): ScrapeReading => ({
  waiting: 0,
  inUse: 0,
  poolMax: 6,
  workers: 2,
  statementSeconds: 0,
  apiRequests: 0,
  cpuSeconds: 0,
  ...over,
});

const response = (kind: ResponseRecord['kind'], status: number, latencyMs: number): ResponseRecord => ({
  kind,
  status,
  latencyMs,
});

/** Ten responses over 2 s; latencies 1..10 ms; one 503 and one 201. */
const record = (over: Partial<StepRecord> = {}): StepRecord => ({
  concurrency: 8,
  seconds: 2,
  responses: [
    response('lookup', 200, 3),
    response('lookup', 200, 1),
    response('lookup', 200, 2),
    response('list', 200, 6),
    response('search', 200, 9),
    response('summary', 200, 5),
    response('lookup', 200, 4),
    response('write', 201, 8),
    response('lookup', 503, 10),
    response('lookup', 200, 7),
  ],
  errors: 1,
  timeouts: 0,
  poolSamples: [
    { waiting: 0, inUse: 2, poolMax: 6 },
    { waiting: 3, inUse: 6, poolMax: 6 },
    { waiting: 0, inUse: 1, poolMax: 6 },
    { waiting: 1, inUse: 5, poolMax: 6 },
  ],
  sampleErrors: 0,
  before: reading({ statementSeconds: 1.5, apiRequests: 400, cpuSeconds: 10 }),
  after: reading({ statementSeconds: 1.53, apiRequests: 410, cpuSeconds: 13 }),
  hostCpuBusy: 0.8764,
  loadGeneratorCores: 0.4,
  ...over,
});

describe('summarizeStep', () => {
  it('turns what a step recorded into rates, percentiles, statuses, pool figures and the hold time', () => {
    const s = summarizeStep(record());
    expect(s).toEqual(
      expect.objectContaining({
        concurrency: 8,
        seconds: 2,
        requests: 10,
        requests_per_s: 5, // 10 responses ÷ 2 s
        latency_ms: { p50: 5, p95: 10, p99: 10, max: 10 },
        statuses: { '200': 8, '201': 1, '503': 1 },
        non_2xx: 1,
        errors: 1,
        timeouts: 0,
      }),
    );
    expect(s.by_kind.lookup).toEqual({
      requests: 6,
      statuses: { '200': 5, '503': 1 },
      // lookups' latencies sorted: 1 2 3 4 7 10; p50 = 3rd, p95 and p99 = 6th
      latency_ms: { p50: 3, p95: 10, p99: 10, max: 10 },
    });
    expect(s.by_kind.write).toEqual({
      requests: 1,
      statuses: { '201': 1 },
      latency_ms: { p50: 8, p95: 8, p99: 8, max: 8 },
    });
    expect(s.pool).toEqual({
      budget: 6,
      workers: 2,
      samples: 4,
      sample_errors: 0,
      waiting_max: 3,
      waiting_mean: 1, // (0 + 3 + 0 + 1) ÷ 4
      in_use_max: 6,
      in_use_mean: 3.5, // (2 + 6 + 1 + 5) ÷ 4
    });
    // 0.03 statement seconds over 10 API requests: 3 ms each.
    expect(s.hold).toEqual({ hold_ms: 3, statement_seconds: 0.03, api_requests: 10 });
    // 3 CPU seconds over 2 s: 1.5 cores.
    expect(s.cpu).toEqual({ servers_cores: 1.5, host_busy: 0.876, load_generator_cores: 0.4 });
  });

  it.each<[string, Partial<StepRecord>]>([
    ['a worker restarted (counters went back)', { after: reading({ statementSeconds: 0.2, apiRequests: 10 }) }],
    ['no API request was served', { after: reading({ statementSeconds: 1.5, apiRequests: 400 }) }],
  ])('has no hold time when %s', (_name, over) => {
    expect(summarizeStep(record(over)).hold).toEqual({ hold_ms: null, statement_seconds: null, api_requests: null });
  });

  it('reports nulls, not zeros, for what was not sampled', () => {
    const s = summarizeStep(record({ responses: [], poolSamples: [], sampleErrors: 5, hostCpuBusy: null }));
    expect(s.requests_per_s).toBe(0);
    expect(s.latency_ms).toEqual({ p50: null, p95: null, p99: null, max: null });
    expect(s.pool).toEqual(
      expect.objectContaining({ samples: 0, sample_errors: 5, waiting_max: null, in_use_mean: null }),
    );
    expect(s.cpu.host_busy).toBeNull();
  });
});

describe('predictSaturation (through the capacity planner)', () => {
  it.each<[budget: number, workers: number, holdMs: number, want: number]>([
    [6, 2, 3, 2_000], // 6 connections ÷ 3 ms
    [10, 1, 5, 2_000],
    [92, 2, 4, 23_000],
    [7, 3, 0.5, 14_000],
  ])('budget %i over %i workers, hold %f ms → %f requests/s', (budget, workers, holdMs, want) => {
    expect(predictSaturation(budget, workers, holdMs)).toBeCloseTo(want, 6);
  });
});

/** A summarized step with just what the prediction reads. */
const step = (
  concurrency: number,
  rps: number,
  holdMs: number | null,
  pool: { waiting: number; inUse: number; budget?: number; inUseMean?: number },
  hostBusy: number | null,
): StepJson => {
  const base = summarizeStep(record({ concurrency, responses: [] }));
  return {
    ...base,
    requests_per_s: rps,
    hold: { ...base.hold, hold_ms: holdMs },
    pool: {
      ...base.pool,
      budget: pool.budget ?? 6,
      waiting_max: pool.waiting,
      in_use_max: pool.inUse,
      in_use_mean: pool.inUseMean ?? pool.inUse / 2,
    },
    cpu: { ...base.cpu, host_busy: hostBusy },
  };
};

describe('checkPrediction', () => {
  type Row = [name: string, steps: StepJson[], want: Partial<ReturnType<typeof checkPrediction>>];
  it.each<Row>([
    [
      'pool-bound, within 25%: 6 conns ÷ 3 ms = 2000 predicted, 1800 measured at the peak',
      [
        step(2, 900, 2.5, { waiting: 0, inUse: 3 }, 0.5),
        step(8, 1_800, 3, { waiting: 4, inUse: 6, inUseMean: 5.7 }, 0.7),
      ],
      {
        peak_concurrency: 8,
        measured_rps: 1_800,
        hold_ms: 3,
        budget: 6,
        workers: 2,
        predicted_rps: 2_000,
        ratio: 1.111,
        planned_connections: 6, // ⌈1800/s × 3 ms⌉ = ⌈5.4⌉
        in_use_mean: 5.7,
        within_tolerance: true,
        limited_by: 'pool', // 5.7 in use on average ≥ 90% of 6
      },
    ],
    [
      'CPU-bound: the pool never filled, predicted far above measured',
      [step(4, 1_000, 0.5, { waiting: 0, inUse: 2 }, 0.97), step(16, 950, 0.6, { waiting: 0, inUse: 3 }, 0.99)],
      {
        peak_concurrency: 4,
        measured_rps: 1_000,
        hold_ms: 0.5,
        predicted_rps: 12_000,
        ratio: 12,
        planned_connections: 1, // ⌈1000/s × 0.5 ms⌉
        within_tolerance: false,
        limited_by: 'cpu',
      },
    ],
    [
      'exactly 25% below the measured rate still counts as within',
      [step(8, 1_600, 3, { waiting: 2, inUse: 6, inUseMean: 6 }, null)],
      { predicted_rps: 2_000, ratio: 1.25, planned_connections: 5, within_tolerance: true, limited_by: 'pool' },
    ],
    [
      'a pool busy now and then is not saturated',
      [step(8, 1_600, 3, { waiting: 2, inUse: 6, inUseMean: 5.3 }, 0.5)],
      { limited_by: 'unclear' },
    ],
    [
      'neither saturated',
      [step(2, 100, 1, { waiting: 0, inUse: 1 }, 0.3)],
      { predicted_rps: 6_000, ratio: 60, within_tolerance: false, limited_by: 'unclear' },
    ],
    [
      'no hold time: nothing predicted',
      [step(2, 100, null, { waiting: 0, inUse: 1 }, 0.3)],
      { measured_rps: 100, predicted_rps: null, ratio: null, planned_connections: null, within_tolerance: null },
    ],
    [
      'no step',
      [],
      {
        peak_concurrency: null,
        measured_rps: null,
        predicted_rps: null,
        ratio: null,
        limited_by: 'unclear',
        by_step: [],
      },
    ],
  ])('%s', (_name, steps, want) => {
    expect(checkPrediction(steps)).toEqual(expect.objectContaining({ tolerance: 0.25, ...want }));
  });

  it('checks every step from its own hold time', () => {
    const p = checkPrediction([
      step(2, 900, 2.5, { waiting: 0, inUse: 3 }, 0.5),
      step(8, 1_800, 3, { waiting: 4, inUse: 6, inUseMean: 5.7 }, 0.7),
    ]);
    expect(p.by_step).toEqual([
      {
        concurrency: 2,
        measured_rps: 900,
        hold_ms: 2.5,
        predicted_rps: 2_400, // 6 ÷ 2.5 ms
        ratio: 2.667,
        within_tolerance: false,
        pool_saturated: false,
        planned_connections: 3, // ⌈900/s × 2.5 ms⌉ = ⌈2.25⌉
        in_use_mean: 1.5,
      },
      {
        concurrency: 8,
        measured_rps: 1_800,
        hold_ms: 3,
        predicted_rps: 2_000,
        ratio: 1.111,
        within_tolerance: true,
        pool_saturated: true,
        planned_connections: 6,
        in_use_mean: 5.7,
      },
    ]);
  });

  it('says in words what limited the rate', () => {
    const cpu = checkPrediction([step(16, 950, 0.6, { waiting: 0, inUse: 3 }, 0.99)]);
    expect(cpu.verdict).toMatch(/^CPU limited the rate, not connections: host CPU 99% busy/);
    // 6 ÷ 0.6 ms = 10000 predicted against 950: 10.526×
    expect(cpu.verdict).toContain('so here it is an upper bound, 10.526× the measured rate;');
    expect(cpu.verdict).toContain('No step saturated the pool, so no step tests the prediction on its own ground.');
    const pool = checkPrediction([step(8, 1_800, 3, { waiting: 4, inUse: 6, inUseMean: 5.7 }, 0.7)]);
    expect(pool.verdict).toMatch(/^The pool limited the rate at 8 connections: pool waiting max 4, .* and it held\.$/);
  });

  it('reports the steps that saturated the pool when the peak did not', () => {
    const pool2 = { budget: 2, inUse: 2 };
    const p = checkPrediction([
      step(4, 735, 1.5, { ...pool2, waiting: 2, inUseMean: 1.25 }, 0.96),
      step(16, 590, 3.3, { ...pool2, waiting: 14, inUseMean: 1.93 }, 0.99),
      step(64, 597, 3.3, { ...pool2, waiting: 62, inUseMean: 1.95 }, 0.99),
    ]);
    expect(p).toEqual(expect.objectContaining({ peak_concurrency: 4, limited_by: 'cpu', predicted_rps: 1333.3 }));
    // 2 ÷ 3.3 ms = 606.06 requests/s, against 590 and 597
    expect(p.verdict).toContain(
      "Where the pool was saturated (16, 64 connections), the planner's rate from each step's own hold time was " +
        '606.1, 606.1 requests/s against 590, 597 measured (ratio 1.027, 1.015): 2 of 2 within 25%.',
    );
  });

  it('points out a hold time that grew with load, and checkouts outlasting their statements', () => {
    const steps = [
      step(4, 500, 2, { waiting: 0, inUse: 2, budget: 92 }, 0.95),
      step(64, 900, 30, { waiting: 0, inUse: 70, inUseMean: 50, budget: 92 }, 0.99),
    ];
    const p = checkPrediction(steps);
    // ⌈900/s × 30 ms⌉ = 27 connections planned; 50 in use on average is more than 1.5 × that.
    expect(p).toEqual(expect.objectContaining({ planned_connections: 27, in_use_mean: 50 }));
    expect(p.verdict).toContain('The hold time grew from 2 ms at 4 connections to 30 ms at 64');
    expect(p.verdict).toContain('The pool held 50 connections on average where the planner gives the measured rate 27');
    // Neither note when the hold time stayed put and the pool matched the plan (⌈1800 × 3 / 1000⌉ = 6, mean 5.7).
    const steady = checkPrediction([
      step(2, 900, 2.5, { waiting: 0, inUse: 3 }, 0.5),
      step(8, 1_800, 3, { waiting: 4, inUse: 6, inUseMean: 5.7 }, 0.7),
    ]);
    expect(steady.verdict).not.toMatch(/grew from|on average where/);
  });
});

describe('readScrape', () => {
  const text = [
    '# HELP aquifer_db_pool_max Connections this worker may open',
    '# TYPE aquifer_db_pool_max gauge',
    'aquifer_db_pool_max{worker="w0"} 3',
    'aquifer_db_pool_max{worker="w1"} 3',
    'aquifer_db_pool_in_use{worker="w0"} 2',
    'aquifer_db_pool_in_use{worker="w1"} 1',
    'aquifer_db_pool_waiting{worker="w0"} 0',
    'aquifer_db_pool_waiting{worker="w1"} 4',
    'aquifer_db_statement_duration_seconds_sum{route="GET /api/v1/wells/:id",outcome="ok",worker="w0"} 0.25',
    'aquifer_db_statement_duration_seconds_sum{route="POST /api/v1/wells/:id/observations",outcome="ok",worker="w1"} 0.5',
    'aquifer_db_statement_duration_seconds_sum{route="none",outcome="ok",worker="w0"} 9',
    'aquifer_http_request_duration_seconds_count{route="GET /api/v1/wells/:id",status="200",worker="w0"} 100',
    'aquifer_http_request_duration_seconds_count{route="GET /api/v1/wells/:id",status="404",worker="w1"} 5',
    'aquifer_http_request_duration_seconds_count{route="GET /metrics",status="200",worker="w0"} 50',
    'aquifer_http_request_duration_seconds_count{route="unmatched",status="404",worker="w0"} 7',
    'process_cpu_seconds_total{worker="w0"} 1.25',
    'process_cpu_seconds_total{worker="w1"} 2',
    '',
  ].join('\n');

  it('sums the workers, and counts only API routes toward the hold time', () => {
    expect(readScrape(text)).toEqual({
      waiting: 4,
      inUse: 3,
      poolMax: 6,
      workers: 2,
      statementSeconds: 0.75,
      apiRequests: 105,
      cpuSeconds: 3.25,
    });
  });

  it('refuses a scrape without pools', () => {
    expect(() => readScrape('process_cpu_seconds_total 1\n')).toThrow(/aquifer_db_pool_max/);
  });
});

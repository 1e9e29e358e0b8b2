import {
  BudgetError,
  planBudget,
  pm2InstancePool,
  shareOf,
  splitBudget,
  usableConnections,
  type BudgetRequest,
  type ServerLimits,
} from '../../server/lib/budget';

const sumExact = (shares: readonly number[]): bigint => shares.reduce((acc, s) => acc + BigInt(s), 0n);

/** The invariant every split must keep: each ≥ 1, differing by ≤ 1, summing to exactly the budget. */
function expectFairSplit(shares: readonly number[], budget: number, workers: number): void {
  expect(shares).toHaveLength(workers);
  expect(shares.every((s) => Number.isSafeInteger(s) && s >= 1)).toBe(true);
  expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  expect(sumExact(shares)).toBe(BigInt(budget));
}

const limits = (maxConnections: number, superuserReservedConnections = 3, reservedConnections = 0): ServerLimits => ({
  maxConnections,
  superuserReservedConnections,
  reservedConnections,
});

const request = (over: Partial<BudgetRequest>): BudgetRequest => ({
  requested: 'auto',
  limits: limits(100),
  headroom: 5,
  replicas: 1,
  workers: 3,
  ...over,
});

describe('usableConnections', () => {
  it.each([
    { name: 'PG15 defaults', l: limits(100, 3, 0), headroom: 5, usable: 92 },
    { name: 'PG16 reserved_connections subtracted', l: limits(100, 3, 2), headroom: 5, usable: 90 },
    { name: 'no reservations at all', l: limits(10, 0, 0), headroom: 0, usable: 10 },
    { name: 'reservations exceed max_connections', l: limits(5, 3, 2), headroom: 5, usable: -5 },
    { name: '1e6 max_connections', l: limits(1_000_000, 3, 2), headroom: 5, usable: 999_990 },
  ])('$name ⇒ $usable', ({ l, headroom, usable }) => {
    expect(usableConnections(l, headroom)).toBe(usable);
  });

  it.each([
    { name: 'max_connections NaN', l: limits(Number.NaN), headroom: 0 },
    { name: 'max_connections 2.5', l: limits(2.5), headroom: 0 },
    { name: 'max_connections Infinity', l: limits(Number.POSITIVE_INFINITY), headroom: 0 },
    { name: 'max_connections negative', l: limits(-1), headroom: 0 },
    { name: 'superuser_reserved negative', l: limits(100, -3), headroom: 0 },
    { name: 'reserved_connections 0.5', l: limits(100, 3, 0.5), headroom: 0 },
    { name: 'headroom negative', l: limits(100), headroom: -1 },
    { name: 'headroom NaN', l: limits(100), headroom: Number.NaN },
  ])('refuses $name', ({ l, headroom }) => {
    expect(() => usableConnections(l, headroom)).toThrow(BudgetError);
  });
});

describe('splitBudget', () => {
  it.each([
    { budget: 10, workers: 3, shares: [4, 3, 3] },
    { budget: 3, workers: 3, shares: [1, 1, 1] },
    { budget: 1, workers: 1, shares: [1] },
    { budget: 11, workers: 4, shares: [3, 3, 3, 2] },
    { budget: 20, workers: 1, shares: [20] },
  ])('$budget over $workers ⇒ $shares', ({ budget, workers, shares }) => {
    expect(splitBudget(budget, workers)).toEqual(shares);
  });

  const sweep: [number, number][] = [];
  for (let workers = 1; workers <= 16; workers++) {
    for (let budget = workers; budget <= 60; budget++) sweep.push([budget, workers]);
  }
  it.each(sweep)('%i over %i workers is a fair split', (budget, workers) => {
    expectFairSplit(splitBudget(budget, workers), budget, workers);
  });

  it.each([
    [Number.MAX_SAFE_INTEGER, 3],
    [Number.MAX_SAFE_INTEGER, 7],
    [Number.MAX_SAFE_INTEGER, 16],
    [Number.MAX_SAFE_INTEGER - 1, 9],
    [2 ** 52 + 1, 5],
    [1_000_000, 3],
  ])('huge budget %i over %i workers still sums exactly', (budget, workers) => {
    expectFairSplit(splitBudget(budget, workers), budget, workers);
  });

  it.each([
    { budget: 2, workers: 3 },
    { budget: 0, workers: 1 },
    { budget: 0, workers: 4 },
    { budget: 15, workers: 16 },
  ])('refuses budget $budget for $workers workers instead of rounding up', ({ budget, workers }) => {
    expect(() => splitBudget(budget, workers)).toThrow(BudgetError);
    expect(() => splitBudget(budget, workers)).toThrow(/cannot give each of/);
  });

  it.each([
    { name: 'budget 2.5', budget: 2.5, workers: 1 },
    { name: 'budget NaN', budget: Number.NaN, workers: 1 },
    { name: 'budget Infinity', budget: Number.POSITIVE_INFINITY, workers: 1 },
    { name: 'budget negative', budget: -4, workers: 1 },
    { name: 'budget above MAX_SAFE_INTEGER', budget: 2 ** 53, workers: 1 },
    { name: 'workers 0', budget: 10, workers: 0 },
    { name: 'workers 2.5', budget: 10, workers: 2.5 },
    { name: 'workers NaN', budget: 10, workers: Number.NaN },
    { name: 'workers Infinity', budget: 10, workers: Number.POSITIVE_INFINITY },
    { name: 'workers negative', budget: 10, workers: -1 },
  ])('refuses $name', ({ budget, workers }) => {
    expect(() => splitBudget(budget, workers)).toThrow(BudgetError);
  });
});

describe('shareOf', () => {
  it.each([
    { index: 0, share: 4 },
    { index: 1, share: 3 },
    { index: 2, share: 3 },
  ])('10 over 3 workers: worker $index gets $share', ({ index, share }) => {
    expect(shareOf(10, 3, index)).toBe(share);
  });

  it.each([
    { name: 'index = workers', index: 3 },
    { name: 'index past the end', index: 99 },
    { name: 'negative index', index: -1 },
    { name: 'fractional index', index: 0.5 },
    { name: 'NaN index', index: Number.NaN },
  ])('refuses $name', ({ index }) => {
    expect(() => shareOf(10, 3, index)).toThrow(BudgetError);
  });

  it('refuses a budget smaller than the workers even for a valid index', () => {
    expect(() => shareOf(2, 3, 0)).toThrow(BudgetError);
  });
});

describe('pm2InstancePool', () => {
  it.each([
    { name: 'README example', perHost: 64, instances: 4, parallel: 2, pool: 10 },
    { name: 'one at a time', perHost: 64, instances: 4, parallel: 1, pool: 12 },
    { name: 'divides evenly', perHost: 60, instances: 4, parallel: 2, pool: 10 },
    { name: 'one short of the next pool', perHost: 59, instances: 4, parallel: 2, pool: 9 },
    { name: 'exactly one each', perHost: 6, instances: 4, parallel: 2, pool: 1 },
    { name: 'one instance', perHost: 92, instances: 1, parallel: 2, pool: 30 },
    { name: 'huge budget', perHost: Number.MAX_SAFE_INTEGER, instances: 16, parallel: 4, pool: 450_359_962_737_049 },
  ])('$name: $perHost over $instances + $parallel ⇒ $pool each', ({ perHost, instances, parallel, pool }) => {
    expect(pm2InstancePool(perHost, instances, parallel)).toBe(pool);
  });

  it('is the smallest share of the split over instances + parallel', () => {
    // 64 over 6 → 11 11 11 11 10 10: any 6 of the larger shares would need 66.
    expect(pm2InstancePool(64, 4, 2)).toBe(Math.min(...splitBudget(64, 6)));
  });

  // At a reload's peak, instances + parallel processes hold pools at once: they must all fit, with equal pools.
  const sweep: [number, number][] = [];
  for (let instances = 1; instances <= 16; instances++) {
    for (let parallel = 1; parallel <= 4; parallel++) sweep.push([instances, parallel]);
  }
  it.each(sweep)('%i instances, %i at a time: per host 1..200 fits mid-reload or is refused', (instances, parallel) => {
    const processes = instances + parallel;
    for (let perHost = 1; perHost <= 200; perHost++) {
      if (perHost < processes) {
        expect(() => pm2InstancePool(perHost, instances, parallel)).toThrow(BudgetError);
        continue;
      }
      const pools = Array.from({ length: instances }, () => pm2InstancePool(perHost, instances, parallel));
      const pool = pools[0] as number;
      expect(pool).toBeGreaterThanOrEqual(1);
      expect(new Set(pools).size).toBe(1);
      expect(processes * pool).toBeLessThanOrEqual(perHost);
      // …and no larger equal pool would.
      expect(processes * (pool + 1)).toBeGreaterThan(perHost);
    }
  });

  it.each([
    { perHost: 5, instances: 4, parallel: 2 },
    { perHost: 0, instances: 1, parallel: 1 },
    { perHost: 2, instances: 1, parallel: 2 },
  ])('refuses $perHost over $instances + $parallel, naming both settings', ({ perHost, instances, parallel }) => {
    expect(() => pm2InstancePool(perHost, instances, parallel)).toThrow(BudgetError);
    expect(() => pm2InstancePool(perHost, instances, parallel)).toThrow(
      new RegExp(
        `WEB_CONCURRENCY=${instances} .*PM2_RELOAD_PARALLEL=${parallel} .*\\(${instances + parallel} processes\\)`,
      ),
    );
  });

  it.each([
    { name: 'budget negative', perHost: -1, instances: 4, parallel: 2 },
    { name: 'budget 2.5', perHost: 2.5, instances: 1, parallel: 1 },
    { name: 'budget NaN', perHost: Number.NaN, instances: 1, parallel: 1 },
    { name: 'instances 0', perHost: 10, instances: 0, parallel: 1 },
    { name: 'instances 1.5', perHost: 10, instances: 1.5, parallel: 1 },
    { name: 'parallel 0', perHost: 10, instances: 4, parallel: 0 },
    { name: 'parallel Infinity', perHost: 10, instances: 4, parallel: Number.POSITIVE_INFINITY },
  ])('refuses $name', ({ perHost, instances, parallel }) => {
    expect(() => pm2InstancePool(perHost, instances, parallel)).toThrow(BudgetError);
  });
});

describe('planBudget', () => {
  it.each([
    {
      name: 'auto, PG15',
      req: request({}),
      plan: { source: 'auto', usable: 92, perHost: 92, shares: [31, 31, 30] },
    },
    {
      name: 'auto, PG16 reserved_connections subtracted',
      req: request({ limits: limits(100, 3, 10), workers: 4 }),
      plan: { source: 'auto', usable: 82, perHost: 82, shares: [21, 21, 20, 20] },
    },
    {
      name: 'auto over 2 replicas floors per host',
      req: request({ replicas: 2 }),
      plan: { source: 'auto', usable: 92, perHost: 46, shares: [16, 15, 15] },
    },
    {
      name: 'auto, 1e6 max_connections',
      req: request({ limits: limits(1_000_000), workers: 4 }),
      plan: { source: 'auto', usable: 999_992, perHost: 999_992, shares: [249_998, 249_998, 249_998, 249_998] },
    },
    {
      name: 'explicit 20 over 2 replicas ⇒ 10 per host',
      req: request({ requested: 20, replicas: 2 }),
      plan: { source: 'explicit', usable: 92, perHost: 10, shares: [4, 3, 3] },
    },
    {
      name: 'explicit 21 over 2 replicas floors to 10 per host',
      req: request({ requested: 21, replicas: 2 }),
      plan: { source: 'explicit', usable: 92, perHost: 10, shares: [4, 3, 3] },
    },
    {
      name: 'explicit exactly what the server can give',
      req: request({ requested: 92 }),
      plan: { source: 'explicit', usable: 92, perHost: 92, shares: [31, 31, 30] },
    },
    {
      name: 'explicit, PG16 reserved_connections counted in usable',
      req: request({ requested: 10, limits: limits(100, 3, 2) }),
      plan: { source: 'explicit', usable: 90, perHost: 10, shares: [4, 3, 3] },
    },
  ])('$name', ({ req, plan }) => {
    const got = planBudget(req);
    expect(got).toEqual(plan);
    expectFairSplit(got.shares, got.perHost, req.workers);
  });

  it.each([
    {
      name: 'auto, server too small for the workers',
      req: request({ limits: limits(10), workers: 3 }),
      msg: /not enough/,
    },
    { name: 'auto, budget 0', req: request({ limits: limits(8), headroom: 5 }), msg: /0 per host/ },
    { name: 'auto, reservations above max_connections', req: request({ limits: limits(4) }), msg: /not enough/ },
    {
      name: 'auto, replicas more than the usable budget',
      req: request({ limits: limits(20), replicas: 20, workers: 1 }),
      msg: /0 per host over 20 replica/,
    },
    {
      name: 'explicit above what the server gives per host',
      req: request({ requested: 100 }),
      msg: /DB_CONNECTION_BUDGET=100 .*only 92 per host/,
    },
    {
      name: 'explicit above the per-host share over 2 replicas',
      req: request({ requested: 94, replicas: 2 }),
      msg: /DB_CONNECTION_BUDGET=94 .*only 46 per host/,
    },
    { name: 'explicit smaller than the workers', req: request({ requested: 2 }), msg: /cannot give each of 3/ },
    {
      name: 'explicit smaller than the workers after replicas',
      req: request({ requested: 5, replicas: 2 }),
      msg: /budget of 2 connection/,
    },
    { name: 'explicit below the replica count', req: request({ requested: 1, replicas: 2, workers: 1 }), msg: /of 0/ },
  ])('refuses $name', ({ req, msg }) => {
    expect(() => planBudget(req)).toThrow(BudgetError);
    expect(() => planBudget(req)).toThrow(msg);
  });

  it.each([
    { name: 'explicit 0', req: request({ requested: 0 }) },
    { name: 'explicit 2.5', req: request({ requested: 2.5 }) },
    { name: 'explicit NaN', req: request({ requested: Number.NaN }) },
    { name: 'explicit Infinity', req: request({ requested: Number.POSITIVE_INFINITY }) },
    { name: 'explicit negative', req: request({ requested: -20 }) },
    { name: 'replicas 0', req: request({ replicas: 0 }) },
    { name: 'replicas 1.5', req: request({ replicas: 1.5 }) },
    { name: 'replicas NaN', req: request({ replicas: Number.NaN }) },
    { name: 'workers 0', req: request({ workers: 0 }) },
    { name: 'workers NaN', req: request({ workers: Number.NaN }) },
    { name: 'workers 2.5', req: request({ workers: 2.5 }) },
    { name: 'max_connections NaN', req: request({ limits: limits(Number.NaN) }) },
    { name: 'headroom Infinity', req: request({ headroom: Number.POSITIVE_INFINITY }) },
  ])('refuses non-integer or out-of-range input: $name', ({ req }) => {
    expect(() => planBudget(req)).toThrow(BudgetError);
  });

  it('BudgetError is an Error named BudgetError', () => {
    const err = new BudgetError('x');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('BudgetError');
    expect(err.message).toBe('x');
  });
});

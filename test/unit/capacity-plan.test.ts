import { CapacityInputError, planCapacity, type CapacityInput } from '../../server/capacity/plan';

/**
 * PostgreSQL defaults and aquifer's: max_connections 100, 3 superuser slots, headroom 5, PM2_RELOAD_PARALLEL 2;
 * one host of 3 workers.
 */
const input = (over: Partial<CapacityInput> = {}): CapacityInput => ({
  maxConnections: 100,
  superuserReservedConnections: 3,
  reservedConnections: 0,
  headroom: 5,
  replicas: 1,
  workersPerHost: 3,
  budget: 'auto',
  otherApplications: [],
  pm2ReloadParallel: 2,
  ...over,
});

const codes = (findings: readonly { code: string }[]) => findings.map((f) => f.code);

// Every expected figure below is worked out by hand from
//   usable = max − superuser_reserved − reserved − headroom − other applications
//   per host = floor(usable or budget / replicas); pools split it, differing by ≤ 1
//   headroom left = max − superuser_reserved − reserved − other applications − replicas × per host
const summary = (plan: ReturnType<typeof planCapacity>) =>
  `usable ${plan.usable}, per host ${plan.perHost ?? '-'}, pools ${plan.pools.join(' ') || '-'}, ` +
  `total ${plan.totalConnections}, left ${plan.headroomLeft ?? '-'}`;

const metabase = (connections: number) => ({ name: 'metabase', connections });
const psql = (connections: number) => ({ name: 'psql', connections });

describe('planCapacity: budget, pools, totals and feasibility', () => {
  type Row = [name: string, over: Partial<CapacityInput>, want: string, reasons: string[], warnings: string[]];
  it.each<Row>([
    ['auto budget, one host', {}, 'usable 92, per host 92, pools 31 31 30, total 92, left 5', [], []],
    [
      'explicit 20 over 2 hosts',
      { budget: 20, replicas: 2 },
      'usable 92, per host 10, pools 4 3 3, total 20, left 77',
      [],
      [],
    ],
    [
      'auto, 2 hosts × 4',
      { maxConnections: 103, headroom: 0, replicas: 2, workersPerHost: 4 },
      'usable 100, per host 50, pools 13 13 12 12, total 100, left 0',
      [],
      [],
    ],
    [
      'PG16 reserved_connections',
      { reservedConnections: 2, budget: 60, workersPerHost: 2 },
      'usable 90, per host 60, pools 30 30, total 60, left 35',
      [],
      [],
    ],
    [
      'auto budget < workers',
      { maxConnections: 10 },
      'usable 2, per host 2, pools -, total 0, left -',
      ['budget-below-workers'],
      [],
    ],
    [
      'explicit < workers per host',
      { budget: 5, replicas: 2 },
      'usable 92, per host 2, pools -, total 0, left -',
      ['budget-below-workers'],
      [],
    ],
    [
      'explicit < hosts',
      { budget: 1, replicas: 2, workersPerHost: 1 },
      'usable 92, per host -, pools -, total 0, left -',
      ['budget-below-workers'],
      [],
    ],
    [
      'explicit > server',
      { budget: 100 },
      'usable 92, per host -, pools -, total 0, left -',
      ['budget-above-server'],
      [],
    ],
    [
      'server too small',
      { maxConnections: 8 },
      'usable 0, per host -, pools -, total 0, left -',
      ['server-too-small'],
      [],
    ],
    [
      'others within headroom',
      { otherApplications: [psql(3)] },
      'usable 89, per host 89, pools 30 30 29, total 89, left 5',
      [],
      [],
    ],
    [
      'others beyond headroom, auto',
      { otherApplications: [metabase(6), psql(4)] },
      'usable 82, per host 82, pools 28 27 27, total 82, left 5',
      [],
      ['exceeds-max-connections'],
    ],
    [
      'others crowd out an explicit budget',
      { budget: 90, otherApplications: [metabase(10)] },
      'usable 82, per host -, pools -, total 0, left -',
      ['budget-above-server'],
      ['exceeds-max-connections'],
    ],
    [
      'over 4 × 2 × cores',
      { databaseCores: 8 },
      'usable 92, per host 92, pools 31 31 30, total 92, left 5',
      [],
      ['pool-above-cores'],
    ],
    ['within 4 × 2 × cores', { databaseCores: 12 }, 'usable 92, per host 92, pools 31 31 30, total 92, left 5', [], []],
    [
      'pm2 cannot fit 3 instances + 2 replacements in 3',
      { maxConnections: 11 },
      'usable 3, per host 3, pools 1 1 1, total 3, left 5',
      [],
      ['overlap-pm2-refused'],
    ],
    [
      '4 per host fits 3 instances + 1 replacement',
      { maxConnections: 12, pm2ReloadParallel: 1 },
      'usable 4, per host 4, pools 2 1 1, total 4, left 5',
      [],
      [],
    ],
    [
      'but not 3 instances + 2 replacements',
      { maxConnections: 12, pm2ReloadParallel: 2 },
      'usable 4, per host 4, pools 2 1 1, total 4, left 5',
      [],
      ['overlap-pm2-refused'],
    ],
    [
      'uneven shares no longer overshoot under pm2',
      { budget: 20, replicas: 2 },
      'usable 92, per host 10, pools 4 3 3, total 20, left 77',
      [],
      [],
    ],
    [
      'four replacements at once still fit',
      { pm2ReloadParallel: 4 },
      'usable 92, per host 92, pools 31 31 30, total 92, left 5',
      [],
      [],
    ],
  ])('%s', (_name, over, want, reasons, warnings) => {
    const plan = planCapacity(input(over));
    expect(summary(plan)).toBe(want);
    expect(codes(plan.reasons)).toEqual(reasons);
    expect(codes(plan.warnings)).toEqual(warnings);
    expect(plan.feasible).toBe(reasons.length === 0);
  });

  it('says in the refusal that other applications were counted like headroom', () => {
    const plan = planCapacity(input({ budget: 90, otherApplications: [metabase(10)] }));
    expect(plan.reasons[0]?.message).toMatch(/DB_CONNECTION_BUDGET=90 .*only 82 per host/);
    expect(plan.reasons[0]?.message).toMatch(/includes 10 held by other applications/);
    expect(plan.warnings[0]?.message).toMatch(
      /90 connection\(s\).*100, above the 97 .*lower DB_CONNECTION_BUDGET to 82/,
    );
    expect(plan.otherConnections).toBe(10);
  });

  it('tells how to make the server plan around other applications under an auto budget', () => {
    const [warning] = planCapacity(input({ otherApplications: [metabase(6), psql(4)] })).warnings;
    expect(warning?.message).toMatch(/pools of 31, 31, 30 \(92 per host\): 92 connection\(s\).*102, above the 97/);
    expect(warning?.message).toMatch(
      /too many clients.*DB_RESERVED_CONNECTIONS=15 \(headroom 5 \+ other applications 10\)/,
    );
  });
});

describe('planCapacity: overlap of a pm2 reload (every instance takes per host ÷ (workers + PM2_RELOAD_PARALLEL))', () => {
  // pool = floor(per host / (workers + parallel)); spare = per host − workers × pool; peak = (workers + parallel) × pool.
  it.each([
    { name: 'default, 92 over 3 + 2', over: {}, pool: 18, spare: 38, peak: 90 },
    { name: 'README: 64 over 4 + 2', over: { budget: 64, workersPerHost: 4 }, pool: 10, spare: 24, peak: 60 },
    { name: 'one at a time, 92 over 3 + 1', over: { pm2ReloadParallel: 1 }, pool: 23, spare: 23, peak: 92 },
    { name: 'four at a time, 92 over 3 + 4', over: { pm2ReloadParallel: 4 }, pool: 13, spare: 53, peak: 91 },
    { name: 'uneven shares, 10 over 3 + 2', over: { budget: 20, replicas: 2 }, pool: 2, spare: 4, peak: 10 },
    {
      name: 'two hosts of 4, 50 over 4 + 2',
      over: { maxConnections: 103, headroom: 0, replicas: 2, workersPerHost: 4 },
      pool: 8,
      spare: 18,
      peak: 48,
    },
    {
      name: 'after other applications, 82 over 3 + 2',
      over: { otherApplications: [metabase(10)] },
      pool: 16,
      spare: 34,
      peak: 80,
    },
  ])('$name: pool $pool each, spare $spare, peak $peak per host', ({ over, pool, spare, peak }) => {
    const plan = planCapacity(input(over));
    expect(plan.overlap).toEqual({
      extraWorkers: plan.input.pm2ReloadParallel,
      pm2Pools: Array.from({ length: plan.input.workersPerHost }, () => pool),
      pm2Spare: spare,
      pm2PeakPerHost: peak,
    });
    expect(codes(plan.warnings).filter((c) => c.startsWith('overlap'))).toEqual([]);
  });

  it('is refused, with nulls, when the budget cannot give each instance and replacement one', () => {
    const plan = planCapacity(input({ maxConnections: 11 }));
    expect(plan.overlap).toEqual({ extraWorkers: 2, pm2Pools: null, pm2Spare: null, pm2PeakPerHost: null });
    expect(plan.warnings[0]?.message).toMatch(
      /WEB_CONCURRENCY=3 \+ PM2_RELOAD_PARALLEL=2 = 5 processes .*npm start is unaffected.*3 per host over 1 replica\(s\): not enough for 5 workers/,
    );
  });

  it('is left out when there is no budget to overlap', () => {
    const plan = planCapacity(input({ maxConnections: 10 }));
    expect(plan.overlap).toBeNull();
    expect(codes(plan.warnings).filter((c) => c.startsWith('overlap'))).toEqual([]);
  });

  // What server/worker.ts does under pm2, over a sweep: equal pools, and a reload at its peak within the budget.
  const sweep: [number, number, number][] = [];
  for (let workers = 1; workers <= 8; workers++) {
    for (let parallel = 1; parallel <= 4; parallel++) {
      for (const replicas of [1, 2, 3]) sweep.push([workers, parallel, replicas]);
    }
  }
  /** What the overlap should be for one plan, worked out from the formula; a string so a table of them diffs well. */
  const expected = (host: number | null, refusedPlan: boolean, workers: number, parallel: number): string => {
    if (refusedPlan || host === null) return 'no overlap';
    if (host < workers + parallel) return 'refused';
    const pool = Math.floor(host / (workers + parallel));
    return `pools ${Array(workers).fill(pool).join(' ')}, spare ${host - workers * pool}, peak ${(workers + parallel) * pool}`;
  };
  const actual = (plan: ReturnType<typeof planCapacity>): string => {
    const o = plan.overlap;
    if (o === null) return 'no overlap';
    if (o.pm2Pools === null)
      return codes(plan.warnings).includes('overlap-pm2-refused') ? 'refused' : 'refused, no warning';
    const peak = o.pm2PeakPerHost as number;
    // The invariant itself, not just agreement with the formula above.
    const fits = o.pm2Pools.every((p) => p >= 1) && peak <= (plan.perHost as number) ? '' : ' OVER BUDGET';
    return `pools ${o.pm2Pools.join(' ')}, spare ${o.pm2Spare}, peak ${peak}${fits}`;
  };
  it.each(sweep)(
    '%i workers, %i at a time, %i host(s): max_connections 8..200 keeps the budget mid-reload',
    (workers, parallel, replicas) => {
      const got: string[] = [];
      const want: string[] = [];
      for (let maxConnections = 8; maxConnections <= 200; maxConnections++) {
        const plan = planCapacity(
          input({ maxConnections, workersPerHost: workers, pm2ReloadParallel: parallel, replicas }),
        );
        got.push(`${maxConnections}: ${actual(plan)}`);
        want.push(`${maxConnections}: ${expected(plan.perHost, plan.pools.length === 0, workers, parallel)}`);
      }
      expect(got).toEqual(want);
    },
  );
});

describe("planCapacity: Little's law", () => {
  type Row = [
    name: string,
    over: Partial<CapacityInput>,
    maxRps: number | null,
    needed: number | null,
    covered: boolean | null,
  ];
  it.each<Row>([
    ['budget 20, 5 ms', { budget: 20, holdMs: 5 }, 4000, null, null],
    ['1000 rps at 12 ms on 20', { budget: 20, holdMs: 12, targetRps: 1000 }, 1666.667, 12, true],
    ['exactly the budget', { budget: 20, holdMs: 5, targetRps: 4000 }, 4000, 20, true],
    ['one connection short', { budget: 20, holdMs: 5, targetRps: 4001 }, 4000, 21, false],
    ['fractional need rounds up', { budget: 20, holdMs: 2.5, targetRps: 1001 }, 8000, 3, true],
    ['floating point does not round 3 up to 4', { budget: 20, holdMs: 0.1, targetRps: 30000 }, 200000, 3, true],
    [
      'auto budget across 2 hosts counts both',
      { maxConnections: 103, headroom: 0, replicas: 2, workersPerHost: 4, holdMs: 10 },
      10000,
      null,
      null,
    ],
    [
      'refused budget has no rate',
      { maxConnections: 10, workersPerHost: 3, holdMs: 10, targetRps: 100 },
      null,
      1,
      false,
    ],
  ])('%s', (_name, over, maxRps, needed, covered) => {
    const plan = planCapacity(input({ workersPerHost: 2, ...over }));
    const t = plan.throughput;
    if (maxRps === null) expect(t?.maxRps).toBeNull();
    else expect(t?.maxRps).toBeCloseTo(maxRps, 2);
    expect(t?.neededConnections).toBe(needed);
    expect(t?.covered).toBe(covered);
    expect(codes(plan.reasons).includes('target-rps-not-covered')).toBe(covered === false);
  });

  it('has no throughput section without a hold time', () => {
    expect(planCapacity(input()).throughput).toBeNull();
  });

  it('names the shortfall', () => {
    const plan = planCapacity(input({ budget: 20, holdMs: 5, targetRps: 5000 }));
    expect(plan.feasible).toBe(false);
    expect(plan.reasons).toEqual([
      {
        code: 'target-rps-not-covered',
        message: "5000 requests/s holding a connection 5 ms each need 25 connection(s) (Little's law); the plan has 20",
      },
    ]);
  });
});

describe('planCapacity: cores rule', () => {
  it.each([
    { cores: 8, active: 16, warns: true },
    { cores: 12, active: 24, warns: false },
    { cores: 11, active: 22, warns: true },
  ])('$cores cores: $active busy connections, warns $warns for 92', ({ cores, active, warns }) => {
    const plan = planCapacity(input({ databaseCores: cores }));
    expect(plan.cores).toEqual({ databaseCores: cores, activeConnections: active, totalConnections: 92 });
    expect(codes(plan.warnings)).toEqual(warns ? ['pool-above-cores'] : []);
    if (warns) expect(plan.warnings[0]?.message).toMatch(/only queue inside PostgreSQL/);
  });
});

describe('planCapacity: input it refuses', () => {
  it.each([
    { name: 'workers 0', over: { workersPerHost: 0 }, msg: /workersPerHost must be an integer ≥ 1/ },
    { name: 'replicas 1.5', over: { replicas: 1.5 }, msg: /replicas/ },
    { name: 'max_connections NaN', over: { maxConnections: Number.NaN }, msg: /maxConnections/ },
    { name: 'headroom negative', over: { headroom: -1 }, msg: /headroom/ },
    { name: 'explicit budget 0', over: { budget: 0 }, msg: /budget/ },
    { name: 'cores 0', over: { databaseCores: 0 }, msg: /databaseCores/ },
    { name: 'PM2_RELOAD_PARALLEL 0', over: { pm2ReloadParallel: 0 }, msg: /pm2ReloadParallel must be an integer ≥ 1/ },
    {
      name: 'other application negative',
      over: { otherApplications: [{ name: 'x', connections: -2 }] },
      msg: /connections of "x"/,
    },
    { name: 'hold 0 ms', over: { holdMs: 0 }, msg: /holdMs must be a number > 0/ },
    { name: 'target Infinity', over: { holdMs: 5, targetRps: Infinity }, msg: /targetRps/ },
    { name: 'target without hold time', over: { targetRps: 100 }, msg: /targetRps needs holdMs/ },
  ])('$name', ({ over, msg }) => {
    expect(() => planCapacity(input(over))).toThrow(CapacityInputError);
    expect(() => planCapacity(input(over))).toThrow(msg);
  });
});

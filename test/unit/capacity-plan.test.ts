import { CapacityInputError, planCapacity, type CapacityInput } from '../../server/capacity/plan';

/** PostgreSQL defaults and aquifer's: max_connections 100, 3 superuser slots, headroom 5; one host of 3 workers. */
const input = (over: Partial<CapacityInput> = {}): CapacityInput => ({
  maxConnections: 100,
  superuserReservedConnections: 3,
  reservedConnections: 0,
  headroom: 5,
  replicas: 1,
  workersPerHost: 3,
  budget: 'auto',
  otherApplications: [],
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
      { budget: 20, replicas: 2, overlapWorkers: 0 },
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
      { otherApplications: [psql(3)], overlapWorkers: 0 },
      'usable 89, per host 89, pools 30 30 29, total 89, left 5',
      [],
      [],
    ],
    [
      'others beyond headroom, auto',
      { otherApplications: [metabase(6), psql(4)], overlapWorkers: 0 },
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
      'pm2 cannot keep a spare',
      { maxConnections: 11 },
      'usable 3, per host 3, pools 1 1 1, total 3, left 5',
      [],
      ['overlap-pm2-refused'],
    ],
    [
      'uneven pm2 shares overshoot',
      { budget: 20, replicas: 2 },
      'usable 92, per host 10, pools 4 3 3, total 20, left 77',
      [],
      ['overlap-over-budget'],
    ],
    [
      'two replacements at once',
      { overlapWorkers: 2 },
      'usable 92, per host 92, pools 31 31 30, total 92, left 5',
      [],
      ['overlap-over-budget'],
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
    const [warning] = planCapacity(input({ otherApplications: [metabase(6), psql(4)], overlapWorkers: 0 })).warnings;
    expect(warning?.message).toMatch(/pools of 31, 31, 30 \(92 per host\): 92 connection\(s\).*102, above the 97/);
    expect(warning?.message).toMatch(
      /too many clients.*DB_RESERVED_CONNECTIONS=15 \(headroom 5 \+ other applications 10\)/,
    );
  });
});

describe('planCapacity: overlap of a pm2 reload (each instance plans over workers + 1)', () => {
  it.each([
    { name: 'even pm2 shares', over: {}, pm2Pools: [23, 23, 23], spare: 23, peak: 92 },
    { name: 'uneven pm2 shares', over: { budget: 20, replicas: 2 }, pm2Pools: [3, 3, 2], spare: 2, peak: 11 },
    { name: 'two replacements at once', over: { overlapWorkers: 2 }, pm2Pools: [23, 23, 23], spare: 23, peak: 115 },
    {
      name: 'two hosts of 4 workers',
      over: { maxConnections: 103, headroom: 0, replicas: 2, workersPerHost: 4 },
      pm2Pools: [10, 10, 10, 10],
      spare: 10,
      peak: 50,
    },
    {
      name: 'after other applications',
      over: { otherApplications: [metabase(10)] },
      pm2Pools: [21, 21, 20],
      spare: 20,
      peak: 83,
    },
    { name: 'pm2 refused', over: { maxConnections: 11 }, pm2Pools: null, spare: null, peak: null },
  ])('$name: pm2 pools $pm2Pools, spare $spare, peak $peak per host', ({ over, pm2Pools, spare, peak }) => {
    const overlap = planCapacity(input(over)).overlap;
    expect(overlap).toEqual({
      extraWorkers: (over as Partial<CapacityInput>).overlapWorkers ?? 1,
      pm2Pools,
      pm2Spare: spare,
      pm2PeakPerHost: peak,
    });
  });

  it.each([
    { name: 'no overlap asked for', over: { overlapWorkers: 0 } },
    { name: 'no budget to overlap', over: { maxConnections: 10 } },
  ])('is left out with $name', ({ over }) => {
    const plan = planCapacity(input(over));
    expect(plan.overlap).toBeNull();
    expect(codes(plan.warnings).filter((c) => c.startsWith('overlap'))).toEqual([]);
  });

  it.each([
    {
      name: 'uneven shares on 2 hosts, plenty left free',
      over: { budget: 20, replicas: 2 },
      says: /up to 11 of its 10 \(1 over; 2 if all 2 hosts reload at once\), taken from the 77 left free$/,
    },
    {
      name: 'two replacements, too little left free',
      over: { overlapWorkers: 2 },
      says: /need 46: a host briefly holds up to 115 of its 92 \(23 over\), taken from the 5 left free, which is not enough/,
    },
    {
      // 104 − 3 = 101 usable, 50 per host, 1 left; pm2: 13 13 12 + 12 spare, so replacing w0 peaks at 51.
      name: 'room for one host at a time only',
      over: { maxConnections: 104, headroom: 0, replicas: 2 },
      says: /up to 51 of its 50 \(1 over; 2 if all 2 hosts reload at once\), taken from the 1 left free: enough for one host at a time, but if all reload at once new connections can fail/,
    },
  ])('explains the overshoot: $name', ({ over, says }) => {
    const warning = planCapacity(input(over)).warnings.find((w) => w.code === 'overlap-over-budget');
    expect(warning?.message).toMatch(says);
    expect(warning?.message).toMatch(/WEB_CONCURRENCY \+ 1 = 4 and keeps one share/);
  });

  it('says npm start is unaffected when pm2 would refuse', () => {
    const [warning] = planCapacity(input({ maxConnections: 11 })).warnings;
    expect(warning?.message).toMatch(
      /WEB_CONCURRENCY \+ 1 = 4 .*npm start is unaffected.*3 per host over 1 replica\(s\): not enough for 4 workers/,
    );
  });
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
    const plan = planCapacity(input({ databaseCores: cores, overlapWorkers: 0 }));
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
    { name: 'overlap negative', over: { overlapWorkers: -1 }, msg: /overlapWorkers/ },
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

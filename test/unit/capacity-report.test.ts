import { planCapacity, type CapacityInput } from '../../server/capacity/plan';
import { formatPlanTable, toPlanJson, PLAN_JSON_VERSION } from '../../server/capacity/report';

const input = (over: Partial<CapacityInput> = {}): CapacityInput => ({
  maxConnections: 100,
  superuserReservedConnections: 3,
  reservedConnections: 0,
  headroom: 5,
  replicas: 2,
  workersPerHost: 3,
  budget: 'auto',
  otherApplications: [
    { name: 'metabase', connections: 3 },
    { name: 'psql', connections: 1 },
  ],
  pm2ReloadParallel: 2,
  ...over,
});

// 100 − 3 − 0 − 5 − 4 = 88 usable; 44 per host; pools 15 15 14; under pm2 floor(44 / (3 + 2)) = 8 each, 20 spare.
const twoHosts = () => planCapacity(input({ databaseCores: 2, holdMs: 5, targetRps: 1000 }));

describe('formatPlanTable', () => {
  const table = formatPlanTable(twoHosts());

  it.each([
    ['verdict', /^Capacity plan: feasible$/m],
    ['server arithmetic', /^ {2}max_connections +100$/m],
    [
      'other applications, said to be subtracted',
      /^ {2}− other applications +4 {2}subtracted like headroom: metabase 3, psql 1$/m,
    ],
    ['usable', /^ {2}= usable by aquifer +88 {2}across all hosts$/m],
    ['budget line', /^Budget auto \(all the server can give\), over 2 host\(s\) × 3 worker\(s\)$/m],
    ['host 1 row', /^ {2}host 1 +44 +3 {2}15 15 14$/m],
    ['host 2 row', /^ {2}host 2 +44 +3 {2}15 15 14$/m],
    ['worker w0 row', /^ {2}w0 +15 {2}8$/m],
    ['worker w2 row', /^ {2}w2 +14 {2}8$/m],
    ['pm2 spare row', /^ {2}spare +- {2}20 \(for the pm2 reload replacements\)$/m],
    ['total', /^ {2}aquifer, all hosts +88 {2}2 × 44$/m],
    ['headroom left', /^ {2}headroom left +5 {2}free when every pool and other application is full$/m],
    ['npm start overlap', /^ {2}npm start +none: the primary replaces a worker only after the old one exits$/m],
    ['overlap title', /^Overlap \(PM2_RELOAD_PARALLEL=2: replacements a pm2 reload runs beside the instances\)$/m],
    ['pm2 overlap', /^ {2}pm2 +every instance 8 \(per host ÷ \(3 \+ 2\)\), 20 spare; reload peak 40 of 44 per host$/m],
    [
      'advice to match pm2',
      /^ {13}PM2_RELOAD_PARALLEL must be at least what pm2 reloads at once: `pm2 reload <name> --parallel N`,$/m,
    ],
    ['cores', /^ {2}2 cores keep about 4 connections busy \(2 × cores\); the deployment holds 88$/m],
    ['saturation', /^ {2}saturation +17600 requests\/s {2}all hosts, pools full$/m],
    ['target', /^ {2}target 1000 requests\/s +5 connections {2}covered$/m],
    ['warning with its code', /^Warnings\n {2}- \[pool-above-cores\] 88 connection\(s\) across all hosts/m],
  ])('has the %s', (_name, line) => {
    expect(table).toMatch(line);
  });

  it('aligns columns and uses no colours', () => {
    const lines = table.split('\n');
    const at = (prefix: string) => lines.find((l) => l.startsWith(prefix)) as string;
    expect(at('  host 1').indexOf('44')).toBe(at('  host    budget').indexOf('budget') + 'budget'.length - 2);
    expect(at('  w0').indexOf('15')).toBe(at('  w2').indexOf('14'));
    // eslint-disable-next-line no-control-regex
    expect(table).not.toMatch(/\x1b\[/);
    expect(table.endsWith('\n')).toBe(true);
  });

  it('shows an infeasible plan with its reasons and no pools', () => {
    const text = formatPlanTable(planCapacity(input({ maxConnections: 14, otherApplications: [] })));
    // 14 − 3 − 5 = 6 usable, 3 per host over 2 hosts for 3 workers: fits; 13 leaves 2 per host, which does not.
    expect(text).toMatch(/^Capacity plan: feasible$/m);
    const refused = formatPlanTable(planCapacity(input({ maxConnections: 13, otherApplications: [] })));
    expect(refused).toMatch(/^Capacity plan: NOT FEASIBLE$/m);
    expect(refused).toMatch(/^ {2}host 1 +2 +3 {2}refused$/m);
    expect(refused).toMatch(/^Per worker: no pools, the budget is refused$/m);
    expect(refused).toMatch(/^ {2}aquifer, all hosts +0 {2}none: the budget is refused$/m);
    expect(refused).toMatch(/^Not feasible because\n {2}- \[budget-below-workers\] .*not enough for 3 workers$/m);
    expect(refused).not.toMatch(/headroom left/);
  });

  it('gives many identical hosts one row', () => {
    const text = formatPlanTable(planCapacity(input({ maxConnections: 1000, replicas: 10, otherApplications: [] })));
    // 1000 − 3 − 5 = 992 over 10 hosts: 99 each.
    expect(text).toMatch(/^ {2}hosts 1–10 \(each\) +99 +3 {2}33 33 33$/m);
    expect(text).not.toMatch(/host 9/);
  });

  it('leaves out cores, throughput and warnings when not asked for, but always shows pm2', () => {
    const text = formatPlanTable(planCapacity(input()));
    expect(text).toMatch(/^ {2}worker {2}pool {2}pool under pm2$/m);
    expect(text).toMatch(/^Overlap /m);
    expect(text).not.toMatch(/Database cores|Throughput|Warnings/);
  });

  it('shows pm2 refused, without its column, when the budget cannot fit the reload', () => {
    // 100 − 3 − 5 − 4 = 88 over 2 hosts: 44 each, fine for 3 workers, not for 3 + 42 processes.
    const text = formatPlanTable(planCapacity(input({ pm2ReloadParallel: 42 })));
    expect(text).toMatch(/^ {2}worker {2}pool$/m);
    expect(text).toMatch(
      /^ {2}pm2 +refused: the budget cannot give each instance and each replacement one connection/m,
    );
    expect(text).toMatch(/^ {2}- \[overlap-pm2-refused\] under pm2, WEB_CONCURRENCY=3 \+ PM2_RELOAD_PARALLEL=42 = 45/m);
  });

  it('says none when no other application is counted', () => {
    expect(formatPlanTable(planCapacity(input({ otherApplications: [] })))).toMatch(
      /^ {2}− other applications +0 {2}none counted$/m,
    );
  });
});

describe('toPlanJson', () => {
  it('has the documented snake_case shape', () => {
    expect(toPlanJson(twoHosts())).toEqual({
      version: PLAN_JSON_VERSION,
      feasible: true,
      reasons: [],
      warnings: [{ code: 'pool-above-cores', message: expect.stringMatching(/^88 connection\(s\)/) }],
      server: { max_connections: 100, superuser_reserved_connections: 3, reserved_connections: 0 },
      headroom: 5,
      other_applications: [
        { name: 'metabase', connections: 3 },
        { name: 'psql', connections: 1 },
      ],
      other_connections: 4,
      usable: 88,
      budget: { requested: 'auto', source: 'auto' },
      replicas: 2,
      workers_per_host: 3,
      per_host: 44,
      pools: [15, 15, 14],
      total_connections: 88,
      headroom_left: 5,
      overlap: { extra_workers: 2, pm2_pools: [8, 8, 8], pm2_spare: 20, pm2_peak_per_host: 40 },
      cores: { database_cores: 2, active_connections: 4, total_connections: 88 },
      throughput: { hold_ms: 5, max_rps: 17600, target_rps: 1000, needed_connections: 5, covered: true },
    });
  });

  it('keeps every key, null when not computed, and survives JSON', () => {
    const json = toPlanJson(planCapacity(input({ budget: 2, replicas: 1, otherApplications: [] })));
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json).toMatchObject({
      feasible: false,
      reasons: [{ code: 'budget-below-workers' }],
      budget: { requested: 2, source: 'explicit' },
      per_host: 2,
      pools: [],
      total_connections: 0,
      headroom_left: null,
      overlap: null,
      cores: null,
      throughput: null,
    });
  });

  it('uses snake_case keys throughout', () => {
    const keys: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          keys.push(k);
          walk(v);
        }
      }
    };
    walk(toPlanJson(twoHosts()));
    expect(keys.filter((k) => !/^[a-z][a-z0-9_]*$/.test(k))).toEqual([]);
  });
});

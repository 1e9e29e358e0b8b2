import { UsageError } from '../../scripts/script-database';
import { STEP_NAMES, overloadConnections, parseBenchArgs, perWorkerPool, settingsJson } from '../../bench/args';

const parse = (...args: string[]) => parseBenchArgs(args, '/work', '/work/bench-results');

describe('parseBenchArgs', () => {
  it('has the issue defaults', () => {
    expect(parse()).toEqual({
      rounds: 5,
      roundSeconds: 10,
      connections: 64,
      budget: 16,
      workers: 2,
      wells: 10_000,
      observationsPerWell: 100,
      bulkRows: 1_000_000,
      bulkRounds: 2,
      overloadSeconds: 30,
      steps: new Set(STEP_NAMES),
      out: '/work/bench-results',
      dataDir: null,
      quick: false,
    });
  });

  it('--quick shrinks the data and the durations but not the load shape; explicit flags win', () => {
    expect(parse('--quick')).toMatchObject({
      rounds: 2,
      roundSeconds: 2,
      connections: 64,
      budget: 16,
      workers: 2,
      wells: 300,
      observationsPerWell: 10,
      bulkRows: 20_000,
      bulkRounds: 1,
      overloadSeconds: 4,
      quick: true,
    });
    expect(parse('--quick', '--rounds', '3', '--bulk-rows', '500')).toMatchObject({
      rounds: 3,
      bulkRows: 500,
      wells: 300,
    });
  });

  it('resolves --out and --data-dir against the working folder', () => {
    expect(parse('--out', 'results', '--data-dir', '/tmp/pg')).toMatchObject({
      out: '/work/results',
      dataDir: '/tmp/pg',
    });
  });

  it.each([
    [
      ['--only', 'point,overload'],
      ['point', 'overload'],
    ],
    [
      ['--only', 'overload,event-loop'],
      ['overload', 'event-loop'],
    ],
    [
      ['--skip', 'bulk,scaling'],
      ['point', 'list', 'overload', 'event-loop'],
    ],
    // Nothing left to read the event loop around: dropped silently when only skipping.
    [
      ['--skip', 'point,scaling,overload'],
      ['list', 'bulk'],
    ],
  ])('%j selects %j', (args, steps) => {
    expect([...(parse(...args)?.steps ?? [])].sort()).toEqual([...steps].sort());
  });

  it.each([
    [['--rounds', '0'], /--rounds takes whole numbers from 1 to 100, got "0"/],
    [['--connections', '1.5'], /--connections takes whole numbers/],
    [['--budget', 'many'], /--budget takes whole numbers/],
    [['--workers', '4', '--budget', '3'], /--budget 3 is smaller than --workers 4/],
    [['--only', 'point,nope'], /unknown step "nope"/],
    [['--only', ','], /--only needs at least one step/],
    [['--only', 'point', '--skip', 'bulk'], /cannot be combined/],
    [['--skip', STEP_NAMES.join(',')], /no step left/],
    [['--only', 'event-loop'], /event-loop is read during point, scaling or overload/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['positional'], /positional/],
  ])('refuses %j', (args, message) => {
    expect(() => parse(...args)).toThrow(UsageError);
    expect(() => parse(...args)).toThrow(message);
  });

  it('returns null for --help', () => {
    expect(parse('--help')).toBeNull();
  });
});

describe('derived sizes', () => {
  it.each([
    [16, 2, 8, 320],
    [17, 2, 8, 340],
    [3, 3, 1, 60],
  ])('budget %i over %i workers: baseline pools %i, overload %i connections', (budget, workers, pool, overload) => {
    expect(perWorkerPool({ budget, workers })).toBe(pool);
    expect(overloadConnections({ budget })).toBe(overload);
  });
});

describe('settingsJson', () => {
  it('records the settings with the steps that ran, in run order', () => {
    const settings = parse('--quick', '--skip', 'point') as NonNullable<ReturnType<typeof parse>>;
    expect(settingsJson(settings, new Set(['bulk', 'list', 'scaling']), 3000)).toEqual({
      rounds: 2,
      round_seconds: 2,
      connections: 64,
      budget: 16,
      workers: 2,
      pool_per_worker: 8,
      wells: 300,
      observations_per_well: 10,
      bulk_rows: 20_000,
      bulk_rounds: 1,
      overload_seconds: 4,
      overload_connections: 320,
      acquire_timeout_ms: 3000,
      steps: ['scaling', 'list', 'bulk'],
      quick: true,
    });
  });
});

import { expectedWaitMs, holdTimes, shedGate } from '../../server/lib/wait-estimate';

describe('expectedWaitMs', () => {
  it.each([
    // waiting ahead, pool size, mean hold (ms), expected wait (ms)
    [0, 1, 100, 100],
    [0, 8, 2, 0.25],
    [159, 8, 2, 40], // 160 lookups queued at a pool of 8 holding 2 ms each: served in 40 ms
    [2, 1, 1_000, 3_000],
    [10, 5, 0, 0], // no hold time known yet: no estimate sheds
    [3, 0, 10, Infinity],
  ])('%i ahead, pool %i, holds of %i ms → %d ms', (waiting, pool, hold, expected) => {
    expect(expectedWaitMs(waiting, pool, hold)).toBeCloseTo(expected, 10);
  });
});

describe('holdTimes', () => {
  it('starts at 0, takes the first sample as it is, then moves a tenth of the way to each new one', () => {
    const holds = holdTimes(3_000);
    expect(holds.meanMs).toBe(0);
    holds.add(100);
    expect(holds.meanMs).toBe(100);
    holds.add(200);
    expect(holds.meanMs).toBeCloseTo(110, 10);
    for (let i = 0; i < 60; i++) holds.add(10);
    expect(holds.meanMs).toBeLessThan(11);
  });

  it('counts a hold longer than the cap as the cap, so one long upload cannot shed everyone for long', () => {
    const holds = holdTimes(3_000);
    holds.add(2);
    holds.add(600_000);
    expect(holds.meanMs).toBeCloseTo(2 + 0.1 * (3_000 - 2), 10);
    holds.add(-5); // a clock step backwards counts as 0
    expect(holds.meanMs).toBeLessThan(301);
  });
});

describe('shedGate', () => {
  const limits = { maxQueue: 100, acquireTimeoutMs: 1_500 };
  let now = 0;
  beforeEach(() => {
    now = 0;
    jest.spyOn(performance, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each([
    // waiting, idle, total, pool size, maxQueue, full?
    [0, 1, 1, 1, 100, false], // a connection is idle
    [5, 0, 3, 8, 100, false], // room to open five more
    [1, 1, 1, 1, 100, false], // the idle one goes to the waiter on the next tick; the newcomer is next, no wait known
    [1, 1, 1, 1, 0, true], // no queue allowed at all, and nothing free once the waiter is served
    [100, 0, 8, 8, 100, true], // DB_MAX_QUEUE already waiting
    [99, 0, 8, 8, 100, false],
  ])(
    'waiting %i, idle %i, open %i of %i, maxQueue %i → full %s',
    (waitingCount, idleCount, totalCount, size, maxQueue, full) => {
      const gate = shedGate({ waitingCount, idleCount, totalCount }, () => size, { ...limits, maxQueue });
      expect(gate.full()).toBe(full);
    },
  );

  it('sheds by the mean hold once checkouts have ended', () => {
    const pool = { waitingCount: 5, idleCount: 0, totalCount: 1 };
    const gate = shedGate(pool, () => 1, limits);
    const hold = { since: 0 };
    gate.checkedOut(hold);
    now = 300;
    gate.returned(hold); // holds last 300 ms: six ahead of a newcomer means 1,800 ms
    expect(gate.full()).toBe(true);
    pool.waitingCount = 3; // four in line: 1,200 ms
    expect(gate.full()).toBe(false);
  });

  it('sheds when every held connection has been held long, though none has finished', () => {
    const pool = { waitingCount: 3, idleCount: 0, totalCount: 2 };
    const gate = shedGate(pool, () => 2, limits);
    gate.checkedOut({ since: 0 });
    gate.checkedOut({ since: 0 });
    now = 100; // (3 + 1) ÷ 2 × 100 ms
    expect(gate.full()).toBe(false);
    now = 1_000; // (3 + 1) ÷ 2 × 1,000 ms
    expect(gate.full()).toBe(true);
  });

  it('takes an acquire timeout as a hold of that length', () => {
    const gate = shedGate({ waitingCount: 1, idleCount: 0, totalCount: 1 }, () => 1, limits);
    expect(gate.full()).toBe(false);
    gate.timedOut(); // mean 1,500 ms: two in line wait 3,000 ms
    expect(gate.full()).toBe(true);
  });
});

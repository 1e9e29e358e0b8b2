import { expectedWaitMs, holdTimes } from '../../server/lib/wait-estimate';

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

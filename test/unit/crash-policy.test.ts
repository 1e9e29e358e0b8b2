import { recordCrash, type CrashDecision, type CrashPolicy } from '../../server/lib/crash-policy';

const policy: CrashPolicy = { maxCrashes: 10, windowMs: 60_000, backoffBaseMs: 250, backoffMaxMs: 10_000 };

/** Replays crashes at the given times through recordCrash, as the supervisor does, returning every decision. */
function replay(times: readonly number[], p: CrashPolicy = policy): CrashDecision[] {
  let history: number[] = [];
  return times.map((now) => {
    const result = recordCrash(history, now, p);
    history = result.history;
    return result.decision;
  });
}

const delayOf = (d: CrashDecision | undefined): number | undefined => (d?.action === 'restart' ? d.delayMs : undefined);

describe('recordCrash backoff', () => {
  it.each([
    { crashes: 1, delayMs: 250 },
    { crashes: 2, delayMs: 500 },
    { crashes: 3, delayMs: 1_000 },
    { crashes: 4, delayMs: 2_000 },
    { crashes: 5, delayMs: 4_000 },
    { crashes: 6, delayMs: 8_000 },
    { crashes: 7, delayMs: 10_000 },
    { crashes: 9, delayMs: 10_000 },
  ])('crash $crashes within the window waits $delayMs ms', ({ crashes, delayMs }) => {
    const times = Array.from({ length: crashes }, (_, i) => 1_000 + i * 100);
    const last = replay(times).at(-1);
    expect(last).toEqual({ action: 'restart', delayMs, crashesInWindow: crashes });
  });

  it.each([
    { base: 100, max: 100, delays: [100, 100, 100] },
    { base: 100, max: 350, delays: [100, 200, 350, 350] },
    { base: 1, max: 1_000_000, delays: [1, 2, 4, 8, 16] },
  ])('base $base, max $max ⇒ $delays', ({ base, max, delays }) => {
    const p: CrashPolicy = { ...policy, backoffBaseMs: base, backoffMaxMs: max };
    const times = delays.map((_, i) => i);
    expect(replay(times, p).map(delayOf)).toEqual(delays);
  });
});

describe('recordCrash after long service', () => {
  // backoffMaxMs is 10 s: a worker that served that long is not in a crash loop.
  it.each([
    { history: [], servedMs: 0, delayMs: 250, why: 'crashed at boot' },
    { history: [], servedMs: 9_999, delayMs: 250, why: 'served just under the longest backoff' },
    { history: [], servedMs: 10_000, delayMs: 0, why: 'served the longest backoff' },
    { history: [], servedMs: 3_600_000, delayMs: 0, why: 'served an hour' },
    { history: [95_000], servedMs: 3_600_000, delayMs: 500, why: 'second crash in the window' },
    { history: [10_000], servedMs: 10_000, delayMs: 0, why: 'the earlier crash left the window' },
  ])('$why: waits $delayMs ms', ({ history, servedMs, delayMs }) => {
    const { decision } = recordCrash(history, 100_000, policy, servedMs);
    expect(delayOf(decision)).toBe(delayMs);
  });

  it('still gives up at the limit, however long the worker served', () => {
    const p: CrashPolicy = { ...policy, maxCrashes: 2 };
    expect(recordCrash([99_000], 100_000, p, 3_600_000).decision.action).toBe('give-up');
  });
});

describe('recordCrash window', () => {
  it.each([
    { name: 'previous crash just inside the window counts', gap: 59_999, crashesInWindow: 2, delayMs: 500 },
    { name: 'previous crash exactly one window old is forgotten', gap: 60_000, crashesInWindow: 1, delayMs: 250 },
    { name: 'previous crash long ago is forgotten', gap: 3_600_000, crashesInWindow: 1, delayMs: 250 },
  ])('$name', ({ gap, crashesInWindow, delayMs }) => {
    const decisions = replay([10_000, 10_000 + gap]);
    expect(decisions[1]).toEqual({ action: 'restart', delayMs, crashesInWindow });
  });

  it('a stable spell resets the delay to the base after a run of crashes', () => {
    const burst = [0, 10, 20, 30, 40];
    const decisions = replay([...burst, 40 + policy.windowMs + 1]);
    expect(decisions.map(delayOf)).toEqual([250, 500, 1_000, 2_000, 4_000, 250]);
  });

  it('drops forgotten crashes from the returned history and appends now', () => {
    const { history } = recordCrash([0, 50_000, 70_000], 100_000, policy);
    expect(history).toEqual([50_000, 70_000, 100_000]);
  });

  it('does not mutate the history it was given', () => {
    const given = Object.freeze([0, 1, 2]);
    recordCrash(given, 100_000, policy);
    expect(given).toEqual([0, 1, 2]);
  });
});

describe('recordCrash give-up', () => {
  it.each([
    { maxCrashes: 1, crashes: 1, action: 'give-up' },
    { maxCrashes: 3, crashes: 2, action: 'restart' },
    { maxCrashes: 3, crashes: 3, action: 'give-up' },
    { maxCrashes: 5, crashes: 4, action: 'restart' },
    { maxCrashes: 5, crashes: 5, action: 'give-up' },
  ])('maxCrashes $maxCrashes, crash $crashes in the window ⇒ $action', ({ maxCrashes, crashes, action }) => {
    const times = Array.from({ length: crashes }, (_, i) => i * 1_000);
    const last = replay(times, { ...policy, maxCrashes }).at(-1);
    expect(last?.action).toBe(action);
    expect(last?.crashesInWindow).toBe(crashes);
  });

  it('does not give up when the crashes are spread wider than the window', () => {
    const p: CrashPolicy = { ...policy, maxCrashes: 3 };
    const times = [0, 40_000, 80_000, 120_000, 160_000];
    expect(replay(times, p).map((d) => [d.action, d.crashesInWindow])).toEqual([
      ['restart', 1],
      ['restart', 2],
      ['restart', 2],
      ['restart', 2],
      ['restart', 2],
    ]);
  });
});

describe('recordCrash with huge crash counts', () => {
  it.each([
    { crashes: 31, backoffMaxMs: 10_000 },
    { crashes: 1_100, backoffMaxMs: 10_000 },
    { crashes: 5_000, backoffMaxMs: Number.MAX_SAFE_INTEGER },
    { crashes: 5_000, backoffMaxMs: Number.MAX_VALUE },
  ])('$crashes crashes with max $backoffMaxMs: finite delay within [base, max]', ({ crashes, backoffMaxMs }) => {
    const p: CrashPolicy = { ...policy, maxCrashes: Number.MAX_SAFE_INTEGER, backoffMaxMs };
    const history = Array.from({ length: crashes - 1 }, (_, i) => i);
    const { decision } = recordCrash(history, crashes, p);
    expect(decision.action).toBe('restart');
    expect(decision.crashesInWindow).toBe(crashes);
    const delay = delayOf(decision);
    expect(Number.isFinite(delay)).toBe(true);
    expect(delay).toBeGreaterThanOrEqual(p.backoffBaseMs);
    expect(delay).toBeLessThanOrEqual(backoffMaxMs);
  });

  it('a huge base with a huge count is capped at max, not Infinity', () => {
    const p: CrashPolicy = { ...policy, maxCrashes: 1e9, backoffBaseMs: 1e300, backoffMaxMs: 1e305 };
    const history = Array.from({ length: 2_000 }, (_, i) => i);
    expect(delayOf(recordCrash(history, 2_000, p).decision)).toBe(1e305);
  });
});

import { waitForBackendsGone } from '../../server/cluster/dead-backends';

/** A count that answers from a script of replies, then 0; records each timeout it was given. */
function scripted(replies: readonly (number | null)[]) {
  const asked: number[] = [];
  const count = (timeoutMs: number) => {
    asked.push(timeoutMs);
    const i = asked.length - 1;
    return Promise.resolve(i < replies.length ? (replies[i] as number | null) : 0);
  };
  return { count, asked };
}

describe('waitForBackendsGone', () => {
  it('goes on at once when the first count is 0', async () => {
    const { count, asked } = scripted([0]);
    const result = await waitForBackendsGone(count, 5_000);
    expect(result.confirmed).toBe(true);
    expect(result.waitedMs).toBeLessThan(1_000);
    expect(asked).toHaveLength(1);
  });

  it('asks again while sessions are left, and confirms once none are', async () => {
    const { count, asked } = scripted([2, 1, null, 0]);
    const result = await waitForBackendsGone(count, 5_000);
    expect(result.confirmed).toBe(true);
    expect(asked).toHaveLength(4);
    // Each ask is bounded by the time left, never more than the grace.
    for (const t of asked) expect(t).toBeLessThanOrEqual(5_000);
  });

  it('falls back to the whole grace when no count ever says 0', async () => {
    const started = Date.now();
    const result = await waitForBackendsGone(() => Promise.resolve(null), 300);
    expect(result.confirmed).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(result.waitedMs).toBeGreaterThanOrEqual(290);
  });

  it('with no grace (behind PgBouncer) does not wait at all', async () => {
    const { count, asked } = scripted([3]);
    const result = await waitForBackendsGone(count, 0);
    expect(result).toEqual({ confirmed: false, waitedMs: expect.any(Number) });
    expect(result.waitedMs).toBeLessThan(50);
    expect(asked).toHaveLength(0);
  });
});

import { BudgetError } from '../../server/lib/budget';
import { planRebalance } from '../../server/cluster/rebalance';

const pools = (entries: [number, number][]) => new Map(entries);

describe('planRebalance', () => {
  it.each<
    [string, number, [number, number][], [number, number][], [number, number, number][], [number, number, number][]]
  >([
    // label, perHost, current, new shares, shrinks [index, from, to], grows
    [
      'w1 of 10 = 4/3/3 given up',
      10,
      [
        [0, 4],
        [2, 3],
      ],
      [
        [0, 5],
        [2, 5],
      ],
      [],
      [
        [0, 4, 5],
        [2, 3, 5],
      ],
    ],
    ['one worker left takes all', 9, [[1, 3]], [[1, 9]], [], [[1, 3, 9]]],
    [
      'nothing changes',
      10,
      [
        [0, 4],
        [1, 3],
        [2, 3],
      ],
      [
        [0, 4],
        [1, 3],
        [2, 3],
      ],
      [],
      [],
    ],
    // A fourth worker (index 3) arrives with 0: the others shrink before it may open any.
    [
      'a worker added',
      10,
      [
        [0, 4],
        [1, 3],
        [2, 3],
        [3, 0],
      ],
      [
        [0, 3],
        [1, 3],
        [2, 2],
        [3, 2],
      ],
      [
        [0, 4, 3],
        [2, 3, 2],
      ],
      [[3, 0, 2]],
    ],
    // Index order decides who gets the extra connection, as in the first split.
    [
      'gaps in the indexes',
      7,
      [
        [4, 1],
        [0, 1],
      ],
      [
        [0, 4],
        [4, 3],
      ],
      [],
      [
        [0, 1, 4],
        [4, 1, 3],
      ],
    ],
  ])('%s', (_label, perHost, current, shares, shrinks, grows) => {
    const plan = planRebalance(perHost, pools(current));
    expect([...plan.shares.entries()].sort((a, b) => a[0] - b[0])).toEqual(shares);
    expect(plan.shrinks.map((s) => [s.index, s.from, s.to])).toEqual(shrinks);
    expect(plan.grows.map((s) => [s.index, s.from, s.to])).toEqual(grows);
  });

  it('keeps the sum within the budget after the shrinks and after the grows, over a sweep', () => {
    for (let perHost = 1; perHost <= 40; perHost++) {
      for (let workers = 1; workers <= Math.min(perHost, 8); workers++) {
        for (let gone = 0; gone < workers; gone++) {
          // Start from the first split, then drop one worker (or none when gone === workers - 1 stays).
          const first = planRebalance(perHost, pools(Array.from({ length: workers }, (_, i) => [i, 0])));
          const current = new Map(first.shares);
          if (workers > 1) current.delete(gone);
          const plan = planRebalance(perHost, current);
          const total = (m: ReadonlyMap<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
          const afterShrinks = new Map(current);
          for (const s of plan.shrinks) afterShrinks.set(s.index, s.to);
          expect(total(afterShrinks)).toBeLessThanOrEqual(perHost);
          expect(total(plan.shares)).toBe(perHost);
          expect(Math.max(...plan.shares.values()) - Math.min(...plan.shares.values())).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('when a worker is added, the shrinks alone make room for it, over a sweep', () => {
    let plansWithShrinks = 0;
    for (let perHost = 2; perHost <= 40; perHost++) {
      for (let workers = 1; workers < Math.min(perHost, 8); workers++) {
        const first = planRebalance(perHost, pools(Array.from({ length: workers }, (_, i) => [i, 0])));
        // The newcomer holds nothing yet; it may open connections only after the shrinks.
        const plan = planRebalance(perHost, new Map([...first.shares, [workers, 0]]));
        const afterShrinks = new Map(first.shares);
        for (const s of plan.shrinks) afterShrinks.set(s.index, s.to);
        const held = [...afterShrinks.values()].reduce((a, b) => a + b, 0);
        expect(held + (plan.shares.get(workers) as number)).toBeLessThanOrEqual(perHost);
        expect(plan.grows.every((g) => g.index === workers || g.from < g.to)).toBe(true);
        if (plan.shrinks.length > 0) plansWithShrinks++;
      }
    }
    // The sweep really exercises shrinking.
    expect(plansWithShrinks).toBeGreaterThan(100);
  });

  it('refuses more workers than connections', () => {
    expect(() =>
      planRebalance(
        2,
        pools([
          [0, 1],
          [1, 1],
          [2, 0],
        ]),
      ),
    ).toThrow(BudgetError);
  });
});

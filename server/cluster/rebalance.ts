/**
 * Re-splitting a host's budget when the set of workers changes. Pure: the
 * supervisor applies the steps, shrinks first, grows only once every shrink
 * is done, so the pools never sum above the budget at any moment.
 */
import { splitBudget } from '../lib/budget';

export interface ResizeStep {
  readonly index: number;
  readonly from: number;
  readonly to: number;
}

export interface RebalancePlan {
  /** The new pool size of every live worker, by index. */
  readonly shares: ReadonlyMap<number, number>;
  /** Apply and confirm all of these first... */
  readonly shrinks: readonly ResizeStep[];
  /** ...then these. */
  readonly grows: readonly ResizeStep[];
}

/**
 * Splits `perHost` over the workers in `current` (index → pool size now) in
 * index order, as the first split did. Throws BudgetError when there are more
 * workers than connections.
 */
export function planRebalance(perHost: number, current: ReadonlyMap<number, number>): RebalancePlan {
  const indexes = [...current.keys()].sort((a, b) => a - b);
  const split = splitBudget(perHost, indexes.length);
  const shares = new Map(indexes.map((index, i) => [index, split[i] as number]));
  const steps = indexes
    .map((index) => ({ index, from: current.get(index) as number, to: shares.get(index) as number }))
    .filter((step) => step.from !== step.to);
  return { shares, shrinks: steps.filter((s) => s.to < s.from), grows: steps.filter((s) => s.to > s.from) };
}

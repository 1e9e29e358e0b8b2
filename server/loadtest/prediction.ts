/**
 * The plan checked against reality: the hold time measured at the step that
 * reached the highest throughput, with the measured budget, goes through the
 * capacity planner (the one place Little's law is computed), and its
 * saturation rate is compared with the peak the load test measured. Every
 * step gets the same check from its own hold time, because the prediction
 * only models a step whose pool was saturated.
 */
import { planCapacity } from '../capacity/plan';
import { round, type StepJson } from './summary';
import { verdictOf } from './verdict';

/** The bar: the predicted saturation rate within 25 % of the measured one. */
export const PREDICTION_TOLERANCE = 0.25;
/** The host counts as CPU-bound at this busy share: the rest is scheduler noise and the sampler itself. */
export const CPU_BOUND_BUSY = 0.9;
/** A pool is saturated when on average this share of its connections is checked out. */
export const POOL_SATURATED_SHARE = 0.9;

export type Limiter = 'pool' | 'cpu' | 'unclear';

export interface StepCheckJson {
  readonly concurrency: number;
  readonly measured_rps: number | null;
  readonly hold_ms: number | null;
  /** planCapacity(…).throughput.max_rps: budget ÷ hold time. */
  readonly predicted_rps: number | null;
  /** predicted ÷ measured. */
  readonly ratio: number | null;
  /** |predicted − measured| ≤ 25 % of measured. */
  readonly within_tolerance: boolean | null;
  /** In use on average ≥ 90 % of the budget: the only regime the prediction models. */
  readonly pool_saturated: boolean;
  /**
   * What the planner gives the measured rate, ⌈rate × hold⌉, beside the in-use mean sampled there:
   * a check of the hold time itself (an underestimate shows as fewer planned than in use).
   */
  readonly planned_connections: number | null;
  readonly in_use_mean: number | null;
}

export interface PredictionJson extends Omit<StepCheckJson, 'concurrency' | 'pool_saturated'> {
  /** Concurrency of the step with the highest requests/s: its hold time is the one fed to the planner. */
  readonly peak_concurrency: number | null;
  readonly budget: number | null;
  readonly workers: number | null;
  readonly tolerance: number;
  readonly limited_by: Limiter;
  /** In words: what held the measured rate down, and so how far the prediction can be trusted. */
  readonly verdict: string;
  readonly by_step: readonly StepCheckJson[];
}

/**
 * The planner's throughput for one host whose pools add up to `budget`: max_connections is set to
 * exactly that budget with nothing reserved, so the plan's total connections are the budget.
 */
export function plannedThroughput(budget: number, workers: number, holdMs: number, targetRps?: number) {
  const plan = planCapacity({
    maxConnections: budget,
    superuserReservedConnections: 0,
    reservedConnections: 0,
    headroom: 0,
    replicas: 1,
    workersPerHost: workers,
    budget,
    otherApplications: [],
    pm2ReloadParallel: 1,
    holdMs,
    targetRps,
  });
  return { maxRps: plan.throughput?.maxRps ?? null, neededConnections: plan.throughput?.neededConnections ?? null };
}

/** The planner's saturation rate: budget ÷ hold time. */
export const predictSaturation = (budget: number, workers: number, holdMs: number): number | null =>
  plannedThroughput(budget, workers, holdMs).maxRps;

export const poolSaturated = (s: StepJson): boolean =>
  s.pool.in_use_mean !== null && s.pool.in_use_mean >= POOL_SATURATED_SHARE * s.pool.budget;

export function checkStep(s: StepJson): StepCheckJson {
  const { budget, workers } = s.pool;
  const holdMs = s.hold.hold_ms;
  const measured = s.requests_per_s > 0 ? s.requests_per_s : null;
  const planned =
    holdMs !== null && holdMs > 0 && workers > 0 && budget >= workers
      ? plannedThroughput(budget, workers, holdMs, measured ?? undefined)
      : null;
  const predicted = planned?.maxRps ?? null;
  return {
    concurrency: s.concurrency,
    measured_rps: measured,
    hold_ms: holdMs,
    predicted_rps: predicted === null ? null : round(predicted, 1),
    ratio: predicted === null || measured === null ? null : round(predicted / measured, 3),
    within_tolerance:
      predicted === null || measured === null
        ? null
        : Math.abs(predicted - measured) <= PREDICTION_TOLERANCE * measured,
    pool_saturated: poolSaturated(s),
    planned_connections: planned?.neededConnections ?? null,
    in_use_mean: s.pool.in_use_mean,
  };
}

function limiterOf(peak: StepJson): Limiter {
  if (poolSaturated(peak)) return 'pool';
  if (peak.cpu.host_busy !== null && peak.cpu.host_busy >= CPU_BOUND_BUSY) return 'cpu';
  return 'unclear';
}

export function checkPrediction(steps: readonly StepJson[]): PredictionJson {
  const byStep = steps.map(checkStep);
  const peakIndex = steps.reduce(
    (best, s, i) => (s.requests_per_s > (steps[best]?.requests_per_s ?? -1) ? i : best),
    0,
  );
  const peak = steps[peakIndex];
  const peakCheck = byStep[peakIndex];
  if (!peak || !peakCheck) {
    return {
      peak_concurrency: null,
      measured_rps: null,
      hold_ms: null,
      budget: null,
      workers: null,
      predicted_rps: null,
      ratio: null,
      within_tolerance: null,
      planned_connections: null,
      in_use_mean: null,
      tolerance: PREDICTION_TOLERANCE,
      limited_by: 'unclear',
      verdict: 'No step completed, so nothing was measured.',
      by_step: byStep,
    };
  }
  const { concurrency, pool_saturated: _saturated, ...headline } = peakCheck;
  const limiter = limiterOf(peak);
  return {
    peak_concurrency: concurrency,
    ...headline,
    budget: peak.pool.budget,
    workers: peak.pool.workers,
    tolerance: PREDICTION_TOLERANCE,
    limited_by: limiter,
    verdict: verdictOf({ limiter, steps, peak, byStep, peakCheck, within: headline.within_tolerance }),
    by_step: byStep,
  };
}

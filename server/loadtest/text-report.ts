/**
 * The load test as plain text, for the terminal: one line per step as it
 * finishes, then the prediction against the measurement. Pure.
 */
import type { LoadTestJson } from './result';
import type { StepJson } from './summary';

export function stepLine(s: StepJson): string {
  const statuses = Object.entries(s.statuses)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  return (
    `${s.concurrency} conns: ${s.requests_per_s} req/s, p50 ${s.latency_ms.p50} / p95 ${s.latency_ms.p95} / ` +
    `p99 ${s.latency_ms.p99} ms, ${statuses}${s.errors > 0 ? `, ${s.errors} errors` : ''}; pool in use max ` +
    `${s.pool.in_use_max ?? '-'} mean ${s.pool.in_use_mean ?? '-'} of ${s.pool.budget}, waiting max ` +
    `${s.pool.waiting_max ?? '-'}; hold ${s.hold.hold_ms ?? '-'} ms`
  );
}

export function textReport(result: LoadTestJson, jsonPath: string, htmlPath: string): string {
  const p = result.prediction;
  return [
    'Load test',
    ...result.steps.map((s) => `  ${stepLine(s)}`),
    '',
    'Prediction against measurement',
    `  measured saturation   ${p.measured_rps ?? '-'} requests/s (peak, at ${p.peak_concurrency ?? '-'} connections)`,
    `  predicted saturation  ${p.predicted_rps ?? '-'} requests/s (capacity planner: budget ${p.budget ?? '-'}, hold ${p.hold_ms ?? '-'} ms)`,
    `  predicted ÷ measured  ${p.ratio ?? '-'}; within ${Math.round(p.tolerance * 100)}%: ${p.within_tolerance === null ? '-' : p.within_tolerance ? 'yes' : 'no'}`,
    `  connections           the planner gives the measured rate ${p.planned_connections ?? '-'}; in use there: mean ${p.in_use_mean ?? '-'}`,
    `  limited by            ${p.limited_by}`,
    `  ${p.verdict}`,
    '  each step from its own hold time (saturated pool *):',
    ...p.by_step.map(
      (c) =>
        `    ${c.concurrency}${c.pool_saturated ? '*' : ''} conns: predicted ${c.predicted_rps ?? '-'}, ` +
        `measured ${c.measured_rps ?? '-'}, ratio ${c.ratio ?? '-'}`,
    ),
    '',
    `Wrote ${jsonPath}`,
    `  and ${htmlPath}`,
    '',
  ].join('\n');
}

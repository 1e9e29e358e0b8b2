/**
 * The load test's HTML report: one self-contained file (inline CSS, inline SVG,
 * no script, no URL of any kind, not even the target's scheme), rendered from
 * the same JSON object that is written beside it.
 */
import { MIX_KINDS } from './mix';
import type { LoadTestJson } from './result';
import type { StepJson } from './summary';
import { escapeXml, lineChart, type ChartSeries } from './svg-chart';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1d2330; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.meta { color: #5a6272; } .verdict { padding: .75rem 1rem; border-radius: 6px; background: #f3f5f9; }
.ok { border-left: 4px solid #2e8540; } .off { border-left: 4px solid #c0392b; }
table { border-collapse: collapse; margin: .5rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid #e1e5ec; text-align: right; white-space: nowrap; }
.wide { overflow-x: auto; } .wide table { font-size: 13px; }
th:first-child, td:first-child { text-align: left; } th { background: #f3f5f9; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.chart { background: #fff; border: 1px solid #e1e5ec; border-radius: 6px; }
.chart .grid { stroke: #eef0f4; } .chart .axis { stroke: #8a93a3; }
.chart text { font: 11px system-ui, sans-serif; fill: #3b4352; } .chart .chart-title { font-size: 13px; font-weight: 600; }
`;

/** The target without its scheme: the report must hold no URL at all. */
export const withoutScheme = (url: string): string => url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');

const cell = (v: number | string | null | boolean) => `<td>${v === null ? '–' : escapeXml(String(v))}</td>`;
const row = (cells: readonly (number | string | null | boolean)[]) => `<tr>${cells.map(cell).join('')}</tr>`;
const head = (names: readonly string[]) => `<tr>${names.map((n) => `<th>${escapeXml(n)}</th>`).join('')}</tr>`;

const statusText = (statuses: Readonly<Record<string, number>>) =>
  Object.entries(statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ') || '–';

type Line = readonly [name: string, color: string, y: (s: StepJson) => number | null, dashed?: boolean];

const LATENCY: readonly Line[] = [
  ['p99', '#c0392b', (s) => s.latency_ms.p99],
  ['p95', '#e67e22', (s) => s.latency_ms.p95],
  ['p50', '#2e8540', (s) => s.latency_ms.p50],
];
/** The budget is drawn as a dashed limit: in use can touch it, never cross it. */
const CONNECTIONS: readonly Line[] = [
  ['in use, max', '#8e44ad', (s) => s.pool.in_use_max],
  ['in use, mean', '#2d6cdf', (s) => s.pool.in_use_mean],
  ['waiting, max', '#c0392b', (s) => s.pool.waiting_max],
  ['budget', '#5a6272', (s) => s.pool.budget, true],
];

/** The report's three charts, each a list of lines over concurrency. */
const CHARTS: readonly { title: string; yLabel: string; lines: readonly Line[] }[] = [
  { title: 'Throughput', yLabel: 'requests/s', lines: [['requests/s', '#2d6cdf', (s) => s.requests_per_s]] },
  { title: 'Latency', yLabel: 'ms', lines: LATENCY },
  { title: 'Connections in use', yLabel: 'connections', lines: CONNECTIONS },
];

function charts(steps: readonly StepJson[]): string {
  const toSeries = ([name, color, y, dashed]: Line): ChartSeries => ({
    name,
    color,
    dashed: dashed === true,
    points: steps.flatMap((s) => {
      const v = y(s);
      return v === null ? [] : [{ x: s.concurrency, y: v }];
    }),
  });
  return CHARTS.map((c) =>
    lineChart({
      title: c.title,
      yLabel: c.yLabel,
      xLabel: 'concurrency (connections)',
      logX: true,
      width: 520,
      height: 300,
      series: c.lines.map(toSeries),
    }),
  ).join('\n');
}

function stepTable(steps: readonly StepJson[]): string {
  return [
    '<div class="wide"><table class="steps">',
    head([
      'concurrency',
      'requests/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'requests',
      'statuses',
      'errors',
      'timeouts',
      'waiting max',
      'waiting mean',
      'in use max',
      'in use mean',
      'budget',
      'hold ms',
      'aquifer cores',
      'host CPU busy',
    ]),
    ...steps.map((s) =>
      row([
        s.concurrency,
        s.requests_per_s,
        s.latency_ms.p50,
        s.latency_ms.p95,
        s.latency_ms.p99,
        s.requests,
        statusText(s.statuses),
        s.errors,
        s.timeouts,
        s.pool.waiting_max,
        s.pool.waiting_mean,
        s.pool.in_use_max,
        s.pool.in_use_mean,
        s.pool.budget,
        s.hold.hold_ms,
        s.cpu.servers_cores,
        s.cpu.host_busy === null ? null : `${Math.round(s.cpu.host_busy * 100)}%`,
      ]),
    ),
    '</table></div>',
  ].join('\n');
}

function kindTable(steps: readonly StepJson[]): string {
  return [
    '<div class="wide"><table class="kinds">',
    head(['concurrency', 'kind', 'requests', 'statuses', 'p50 ms', 'p95 ms', 'p99 ms']),
    ...steps.flatMap((s) =>
      MIX_KINDS.filter((k) => s.by_kind[k].requests > 0).map((k) => {
        const kind = s.by_kind[k];
        return row([
          s.concurrency,
          k,
          kind.requests,
          statusText(kind.statuses),
          kind.latency_ms.p50,
          kind.latency_ms.p95,
          kind.latency_ms.p99,
        ]);
      }),
    ),
    '</table></div>',
  ].join('\n');
}

function predictionSection(result: LoadTestJson): string {
  const p = result.prediction;
  const within = p.within_tolerance === null ? 'not computed' : p.within_tolerance ? 'yes' : 'no';
  return [
    `<div class="verdict ${p.within_tolerance ? 'ok' : 'off'}">`,
    '<table class="prediction">',
    row(['measured saturation (peak requests/s)', p.measured_rps]),
    row(['at concurrency', p.peak_concurrency]),
    row(['hold time at that step (ms)', p.hold_ms]),
    row(['budget (sum of pool max) / workers', `${p.budget ?? '–'} / ${p.workers ?? '–'}`]),
    row(['predicted saturation (capacity planner, requests/s)', p.predicted_rps]),
    row(['predicted ÷ measured', p.ratio]),
    row([
      'connections the planner gives the measured rate / in use there (mean)',
      `${p.planned_connections ?? '–'} / ${p.in_use_mean ?? '–'}`,
    ]),
    row([`within ${Math.round(p.tolerance * 100)}%`, within]),
    row(['limited by', p.limited_by]),
    '</table>',
    `<p>${escapeXml(p.verdict)}</p>`,
    '</div>',
    '<p>Every step, each from its own hold time (the prediction models only a step whose pool is saturated):</p>',
    '<div class="wide"><table class="by-step">',
    head([
      'concurrency',
      'pool saturated',
      'hold ms',
      'predicted/s',
      'measured/s',
      'ratio',
      'within',
      'planned / in use',
    ]),
    ...p.by_step.map((c) =>
      row([
        c.concurrency,
        c.pool_saturated ? 'yes' : 'no',
        c.hold_ms,
        c.predicted_rps,
        c.measured_rps,
        c.ratio,
        c.within_tolerance === null ? null : c.within_tolerance ? 'yes' : 'no',
        `${c.planned_connections ?? '–'} / ${c.in_use_mean ?? '–'}`,
      ]),
    ),
    '</table></div>',
  ].join('\n');
}

export function renderHtmlReport(result: LoadTestJson): string {
  const s = result.settings;
  const mix = Object.entries(s.mix)
    .map(([k, w]) => `${k} ${w}`)
    .join(', ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>aquifer load test ${escapeXml(result.started_at)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<h1>aquifer load test</h1>',
    `<p class="meta">${escapeXml(
      `${result.started_at} → ${result.finished_at} · target ${withoutScheme(result.target.url)} · metrics ` +
        `${withoutScheme(result.target.metrics)} · steps ${s.steps.join(', ')} × ${s.step_seconds} s · mix ${mix} · ` +
        `seed ${s.seed} · ${result.machine.cpus} CPUs, Node ${result.machine.node}, load average before ` +
        `${result.machine.load_average_before.join(' ')} · ${result.catalog.wells} wells, ` +
        `${result.catalog.counties} counties, ${result.catalog.search_terms} search terms`,
    )}</p>`,
    '<h2>Prediction against measurement</h2>',
    predictionSection(result),
    '<h2>Charts</h2>',
    `<div class="charts">\n${charts(result.steps)}\n</div>`,
    '<h2>Steps</h2>',
    stepTable(result.steps),
    '<h2>By kind of request</h2>',
    kindTable(result.steps),
    '<h2>Notes</h2>',
    `<p>${escapeXml(result.notes.hold_time)}</p>`,
    `<p>${escapeXml(result.notes.limits)}</p>`,
    `<p class="meta">Observations written by this run carry the note ${escapeXml(JSON.stringify(result.run_label))}.</p>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

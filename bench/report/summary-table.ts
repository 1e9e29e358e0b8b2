/** The summary printed on stdout at the end of a run (pure): one table of figures, one of verdicts. */
import type { BenchJson } from '../result';
import { fmt, fmtMeasured, fmtRatio, statusList, textTable, verdictWord } from './format';

const RIGHT = new Set([2, 3, 4]);

function figures(result: BenchJson): string[][] {
  const rows: string[][] = [['step', 'contender', 'req/s', 'p50 ms', 'p99 ms']];
  const p = result.point_lookup;
  if (p) {
    for (const c of p.contenders) {
      rows.push(['point lookup', c.label, fmt(c.median.requests_per_s, 1), fmt(c.median.p50_ms), fmt(c.median.p99_ms)]);
    }
    // Without the baselines (--only scaling) there is no ratio to show.
    if (p.app_vs_fastify) rows.push(['', 'aquifer ÷ Fastify', fmtRatio(p.app_vs_fastify.median_of_rounds), '', '']);
    if (p.app_vs_raw) rows.push(['', 'aquifer ÷ raw', fmtRatio(p.app_vs_raw.median_of_rounds), '', '']);
    // Context, no target: the app's features over bare Express, and Express over Fastify.
    const context = [
      ['aquifer ÷ bare Express', p.app_vs_express],
      ['bare Express ÷ Fastify', p.express_vs_fastify],
    ] as const;
    for (const [name, r] of context) if (r) rows.push(['', name, fmtRatio(r.median_of_rounds), '', '']);
  }
  const s = result.scaling;
  if (s) rows.push(['scaling', `${s.many} ÷ ${s.one}`, fmtRatio(s.ratio.median_of_rounds), '', '']);
  const l = result.list_summary;
  const pages = l
    ? ([
        ['list page', l.list],
        ['summary', l.summary],
      ] as const)
    : [];
  for (const [step, c] of pages) {
    rows.push([step, c.label, fmt(c.median.requests_per_s, 1), fmt(c.median.p50_ms), fmt(c.median.p99_ms)]);
  }
  const o = result.overload;
  if (o) {
    rows.push([
      'overload',
      `${o.connections} clients, 200s only`,
      fmt(o.goodput_per_s, 1),
      fmt(o.ok.p50_ms),
      fmt(o.ok.p99_ms),
    ]);
  }
  return rows;
}

function details(result: BenchJson): string[] {
  const lines: string[] = [];
  const o = result.overload;
  if (o) {
    lines.push(
      `overload: ${statusList(o.statuses)}; 503 without Retry-After ${o.missing_retry_after}; ` +
        `max connections ${fmt(o.activity.max_connections, 0)} of ${o.budget} (${o.activity.samples} samples); ` +
        `goodput ${o.goodput_fraction === null ? '–' : `${fmt(o.goodput_fraction * 100, 1)}%`} of peak; ` +
        `timeouts ${o.timeouts}, socket errors ${o.socket_errors}`,
    );
  }
  const e = result.event_loop;
  if (e) {
    lines.push(
      `event loop p99: point lookup ${fmt(e.point_lookup?.p99_ms)} ms, overload ${fmt(e.overload?.p99_ms)} ms`,
    );
  }
  const b = result.bulk;
  if (b) {
    lines.push(
      `bulk ${fmt(b.rows, 0)} rows: upload ${fmt(b.app.median_rows_per_s, 0)} rows/s, raw COPY ${fmt(b.raw.median_rows_per_s, 0)} rows/s ` +
        `(${fmtRatio(b.ratio.median_of_rounds)}); worker RSS growth ${fmt(b.app.max_rss_growth_mb, 1)} MB`,
    );
  }
  return lines;
}

export function summaryTable(result: BenchJson, files: { json: string; markdown: string }): string {
  const verdicts = [
    ['target', 'measured', 'verdict'],
    ...result.verdicts.map((v) => [v.target, fmtMeasured(v), verdictWord(v.pass)]),
  ];
  return [
    `aquifer bench ${result.started_at}: ${result.settings.workers} workers, budget ${result.settings.budget}, ` +
      `${result.settings.connections} connections, ${result.settings.rounds} × ${result.settings.round_seconds} s rounds` +
      (result.settings.quick ? ' (--quick)' : ''),
    '',
    // Only the header when no load step ran (e.g. --only bulk): then no table at all.
    ...(figures(result).length > 1 ? [textTable(figures(result), RIGHT), ''] : []),
    ...details(result),
    '',
    textTable(verdicts),
    '',
    `json: ${files.json}`,
    `report: ${files.markdown}`,
    '',
  ].join('\n');
}

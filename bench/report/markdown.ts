/**
 * The markdown report (pure): rendered from the same JSON object that is
 * written beside it, with the SVG charts linked by file name (they sit in the
 * same folder). Every section is present; a step that did not run says so.
 */
import { OVERLOAD_STATUSES } from '../verdicts';
import type { BenchJson, ContenderJson, RatioJson } from '../result';
import { fmt, fmtMeasured, fmtRatio, markdownTable, statusList, verdictWord } from './format';

export interface ChartFile {
  readonly name: string;
  readonly title: string;
  /** The file name, relative to the report. */
  readonly file: string;
}

export const SECTION_TITLES = [
  'Verdicts',
  'Machine',
  'Settings',
  'Point lookup',
  'Scaling',
  'List page and summary',
  'Overload',
  'Event loop',
  'Bulk ingest',
  'Notes',
] as const;

const NOT_RUN = '_Not run in this bench (see `--only` / `--skip`)._';

const image = (charts: readonly ChartFile[], name: string) =>
  charts
    .filter((c) => c.name === name)
    .map((c) => `![${c.title}](${c.file})`)
    .join('\n\n');

const perRound = (c: ContenderJson) => c.runs.map((r) => fmt(r.requests_per_s, 0)).join(', ');

function contenderTable(contenders: readonly ContenderJson[]): string {
  return markdownTable(
    ['contender', 'workers × pool', 'req/s (median)', 'p50 ms', 'p99 ms', 'requests', 'req/s per round'],
    contenders.map((c) => [
      c.label,
      `${c.workers} × ${c.pool_per_worker}`,
      fmt(c.median.requests_per_s, 1),
      fmt(c.median.p50_ms),
      fmt(c.median.p99_ms),
      fmt(c.requests, 0),
      perRound(c),
    ]),
  );
}

/** A missing ratio (null, or absent from a file written before the field was added) is "not measured". */
const ratioLine = (name: string, r: RatioJson | null | undefined) =>
  !r
    ? `- ${name}: not measured`
    : `- ${name}: **${fmtRatio(r.median_of_rounds)}** (median of per-round ratios; ratio of medians ${fmtRatio(r.of_medians)}; ` +
      `rounds ${r.by_round.map((v) => fmtRatio(v)).join(', ')})`;

function verdicts(result: BenchJson): string {
  return markdownTable(
    ['target', 'measured', 'verdict', 'detail'],
    result.verdicts.map((v) => [v.target, fmtMeasured(v), verdictWord(v.pass), v.detail]),
  );
}

function machine(result: BenchJson): string {
  const m = result.machine;
  return markdownTable(
    ['', ''],
    [
      ['CPU', `${m.cpu_model} × ${m.cores} cores`],
      ['memory', `${fmt(m.total_memory_mb / 1024, 1)} GB`],
      ['platform', m.platform],
      ['Node.js', m.node],
      ['PostgreSQL', m.postgres],
      ['date', result.started_at],
      [
        'git commit',
        m.git_commit === null ? 'unknown' : `${m.git_commit}${m.git_dirty ? ' (with uncommitted changes)' : ''}`,
      ],
      ['load average before', m.load_average_before.map((v) => fmt(v)).join(', ')],
    ],
  );
}

function settings(result: BenchJson): string {
  const s = result.settings;
  return markdownTable(
    ['setting', 'value'],
    [
      ['steps', s.steps.join(', ')],
      ['rounds × seconds', `${s.rounds} × ${s.round_seconds} s${s.quick ? ' (--quick)' : ''}`],
      ['connections (steps 1, 2, 6)', String(s.connections)],
      ['workers', String(s.workers)],
      ['DB_CONNECTION_BUDGET', `${s.budget} (${s.pool_per_worker} per worker; the baselines' pools are the same)`],
      ['DB_ACQUIRE_TIMEOUT_MS', String(s.acquire_timeout_ms)],
      [
        'data',
        `${fmt(result.data.wells, 0)} wells, ${fmt(result.data.observations, 0)} observations (${s.wells} × ${s.observations_per_well} requested)`,
      ],
      ['overload', `${s.overload_connections} connections for ${s.overload_seconds} s`],
      ['bulk', `${fmt(s.bulk_rows, 0)} rows × ${s.bulk_rounds} round(s)`],
    ],
  );
}

/** What the bare Express baseline is for; said only when it ran. */
const BARE_EXPRESS =
  'Bare Express + pg is Express 5 with nothing added: the route on a router at `/api/v1` as the app mounts it, ' +
  'no logging, security headers, request ids, metrics, auth or validation. So aquifer ÷ bare Express is what ' +
  "the app's production features cost, and bare Express ÷ Fastify what the framework costs (against a Fastify " +
  'that still logs every request and checks the id with a schema). Both are context, not targets.';

function pointLookup(result: BenchJson, charts: readonly ChartFile[]): string {
  const p = result.point_lookup;
  if (!p) return NOT_RUN;
  return [
    `\`GET ${p.path}\`, ${p.connections} connections, ${p.rounds} alternating rounds of ${p.round_seconds} s ` +
      `after a ${p.warmup_seconds} s warm-up each. Every contender runs the app's exact statement and response body.`,
    contenderTable(p.contenders),
    [
      ratioLine('aquifer ÷ Fastify', p.app_vs_fastify),
      ratioLine('aquifer ÷ raw node:http', p.app_vs_raw),
      ratioLine('aquifer ÷ bare Express', p.app_vs_express),
      ratioLine('bare Express ÷ Fastify', p.express_vs_fastify),
    ].join('\n'),
    p.app_vs_express ? BARE_EXPRESS : '',
    image(charts, 'point-lookup'),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

function scaling(result: BenchJson): string {
  const s = result.scaling;
  if (!s) return NOT_RUN;
  return [
    `The point lookup at ${s.workers} workers over the same at 1 worker (budget ÷ workers, so one worker's pool), ` +
      'measured in the point-lookup rounds above.',
    ratioLine(`${s.many} ÷ ${s.one}`, s.ratio),
  ].join('\n\n');
}

function listSummary(result: BenchJson): string {
  const l = result.list_summary;
  if (!l) return NOT_RUN;
  return [
    `The app alone, ${l.connections} connections, ${l.rounds} alternating rounds of ${l.round_seconds} s.`,
    contenderTable([l.list, l.summary]),
  ].join('\n\n');
}

function overload(result: BenchJson, charts: readonly ChartFile[]): string {
  const o = result.overload;
  if (!o) return NOT_RUN;
  const a = o.activity;
  const table = markdownTable(
    ['figure', 'value'],
    [
      ['clients', `${o.connections} (20 × budget ${o.budget}) for ${o.seconds} s`],
      ['responses', `${fmt(o.requests, 0)}: ${statusList(o.statuses)}`],
      ['503 without Retry-After', fmt(o.missing_retry_after, 0)],
      [
        'p50 / p99 of the 200s',
        `${fmt(o.ok.p50_ms)} / ${fmt(o.ok.p99_ms)} ms (acquire timeout ${o.acquire_timeout_ms} ms)`,
      ],
      ['goodput', `${fmt(o.goodput_per_s, 1)} 200s/s`],
      [
        'peak (point lookup, median)',
        o.peak_requests_per_s === null ? 'not measured' : `${fmt(o.peak_requests_per_s, 1)} req/s`,
      ],
      ['goodput ÷ peak', o.goodput_fraction === null ? '–' : `${fmt(o.goodput_fraction * 100, 1)}%`],
      ['timeouts / socket errors', `${o.timeouts} / ${o.socket_errors}`],
      [
        'connections seen (pg_stat_activity)',
        `max ${fmt(a.max_connections, 0)} of ${o.budget}; ${a.samples} samples every ${a.interval_ms} ms, ` +
          `${a.samples_over_budget} above budget, ${a.sample_errors} failed`,
      ],
    ],
  );
  return [
    `\`GET ${o.path}\` with 20 × the connection budget. Allowed: ${OVERLOAD_STATUSES.join(' and ')} ` +
      '(every 503 with Retry-After). Connections are counted as client backends whose application_name is `aquifer:…`.',
    table,
    image(charts, 'overload-connections'),
    image(charts, 'overload-statuses'),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

function eventLoop(result: BenchJson): string {
  const e = result.event_loop;
  if (!e) return NOT_RUN;
  const rows: string[][] = [];
  if (e.point_lookup) {
    for (const [name, values] of Object.entries(e.point_lookup.by_contender)) {
      rows.push([`point lookup, ${name}`, values.map((v) => fmt(v)).join(', ')]);
    }
    rows.push(['point lookup, worst', fmt(e.point_lookup.p99_ms)]);
  }
  if (e.overload) {
    const workers = Object.entries(e.overload.by_worker).map(([w, v]) => `${w} ${fmt(v)}`);
    rows.push(['overload', `${fmt(e.overload.p99_ms)} (${workers.join(', ') || 'no worker reported'})`]);
  }
  return [
    "p99 of the workers' event-loop delay (`aquifer_event_loop_delay_seconds`, reset at each scrape), in ms: " +
      "scraped right before and right after each of the app's rounds and around the overload; the worst worker counts.",
    markdownTable(['during', 'p99 ms'], rows),
  ].join('\n\n');
}

function bulk(result: BenchJson): string {
  const b = result.bulk;
  if (!b) return NOT_RUN;
  const appRows = b.app.runs.map((r) => [
    `upload, round ${r.round}`,
    `${fmt(r.rows_sent, 0)} / ${fmt(r.rows_inserted, 0)} / ${fmt(r.rows_stored, 0)}`,
    fmt(r.seconds),
    fmt(r.rows_per_s, 0),
    r.rss === null ? '–' : `${fmt(r.rss.growth_mb, 1)} (${fmt(r.rss.baseline_mb, 1)} → ${fmt(r.rss.peak_mb, 1)})`,
    r.error ?? `HTTP ${r.status}`,
  ]);
  const rawRows = b.raw.runs.map((r) => [
    `raw COPY, round ${r.round}`,
    `${fmt(r.rows_sent, 0)} / ${fmt(r.rows_copied, 0)} / ${fmt(r.rows_stored, 0)}`,
    fmt(r.seconds),
    fmt(r.rows_per_s, 0),
    '–',
    r.error ?? 'ok',
  ]);
  return [
    `\`POST /api/v1/observations/bulk\` with a ${fmt(b.rows, 0)}-row CSV (${fmt(b.csv_bytes / 1_048_576, 1)} MB, ` +
      `${fmt(b.wells, 0)} wells) against \`COPY observations … FROM STDIN (FORMAT csv)\` of the same rows through ` +
      'pg-copy-streams, alternating; the added rows are deleted and the table vacuumed before every run.',
    markdownTable(
      ['run', 'rows sent / counted / stored', 'seconds', 'rows/s', 'worker RSS growth MB', 'outcome'],
      [...appRows, ...rawRows],
    ),
    [
      `- upload: ${fmt(b.app.median_rows_per_s, 0)} rows/s (median); raw COPY: ${fmt(b.raw.median_rows_per_s, 0)} rows/s`,
      ratioLine('upload ÷ raw COPY', b.ratio),
      `- largest RSS growth of the uploading worker: ${b.app.max_rss_growth_mb === null ? 'not measured' : `${fmt(b.app.max_rss_growth_mb, 1)} MB`}`,
    ].join('\n'),
  ].join('\n\n');
}

export function renderMarkdown(result: BenchJson, charts: readonly ChartFile[], jsonFile: string): string {
  const bodies: Record<(typeof SECTION_TITLES)[number], string> = {
    Verdicts: verdicts(result),
    Machine: machine(result),
    Settings: settings(result),
    'Point lookup': pointLookup(result, charts),
    Scaling: scaling(result),
    'List page and summary': listSummary(result),
    Overload: overload(result, charts),
    'Event loop': eventLoop(result),
    'Bulk ingest': bulk(result),
    Notes: [
      ...result.notes.map((n) => `- ${n}`),
      '- Benchmarks are reported, not asserted: a MISS does not fail the run.',
      `- The raw figures are in \`${jsonFile}\`.`,
    ].join('\n'),
  };
  return (
    [
      `# aquifer benchmark, ${result.started_at}`,
      `${result.settings.workers} workers, budget ${result.settings.budget}, ${result.settings.connections} connections, ` +
        `${result.settings.rounds} rounds of ${result.settings.round_seconds} s; finished ${result.finished_at}.`,
      ...SECTION_TITLES.flatMap((title) => [`## ${title}`, bodies[title]]),
    ].join('\n\n') + '\n'
  );
}

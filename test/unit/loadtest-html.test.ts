import { renderHtmlReport, withoutScheme } from '../../server/loadtest/html-report';
import { DEFAULT_MIX } from '../../server/loadtest/mix';
import { checkPrediction } from '../../server/loadtest/prediction';
import { HOLD_TIME_NOTE, LIMITS_NOTE, RESULT_JSON_VERSION, type LoadTestJson } from '../../server/loadtest/result';
import { summarizeStep, type StepJson } from '../../server/loadtest/summary';
import { textReport } from '../../server/loadtest/text-report';

/** `n` lookups answered 200 in `ms` each, and one write answered 201, over one second. */
function stepAt(concurrency: number, n: number, ms: number, inUse: number): StepJson {
  return summarizeStep({
    concurrency,
    seconds: 1,
    responses: [
      ...Array.from({ length: n }, () => ({ kind: 'lookup' as const, status: 200, latencyMs: ms })),
      { kind: 'write', status: 201, latencyMs: ms * 2 },
    ],
    errors: 0,
    timeouts: 0,
    poolSamples: [{ waiting: 0, inUse, poolMax: 6 }],
    sampleErrors: 0,
    before: { waiting: 0, inUse: 0, poolMax: 6, workers: 2, statementSeconds: 0, apiRequests: 0, cpuSeconds: 0 },
    after: { waiting: 0, inUse, poolMax: 6, workers: 2, statementSeconds: n / 1000, apiRequests: n + 1, cpuSeconds: 1 },
    hostCpuBusy: 0.95,
    loadGeneratorCores: 0.3,
  });
}

const steps = [stepAt(4, 400, 2, 1), stepAt(16, 700, 9, 3)];
const result: LoadTestJson = {
  version: RESULT_JSON_VERSION,
  started_at: '2026-11-30T07:00:00.000Z',
  finished_at: '2026-11-30T07:00:02.500Z',
  run_label: 'aquifer loadtest 2026-11-30T07:00:00.000Z',
  target: { url: 'http://127.0.0.1:3000/', metrics: 'http://127.0.0.1:9464/metrics' },
  settings: { steps: [4, 16], step_seconds: 1, mix: DEFAULT_MIX, seed: 1 },
  machine: { cpus: 2, node: '20.19.0', load_average_before: [0.5, 0.4, 0.3] },
  catalog: { wells: 40, counties: 8, search_terms: 120 },
  steps,
  prediction: checkPrediction(steps),
  notes: { hold_time: HOLD_TIME_NOTE, limits: LIMITS_NOTE },
};
const html = renderHtmlReport(result);

describe('renderHtmlReport', () => {
  it('is one self-contained page: no URL, no script, no external resource', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i); // no protocol-relative URL either
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|@import|url\(/i);
    expect(html).toMatch(/<style>[\s\S]+<\/style>/);
  });

  it('has the three charts inline', () => {
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html.match(/<\/svg>/g)).toHaveLength(3);
    for (const title of ['Throughput', 'Latency', 'Connections in use']) {
      expect(html).toContain(`aria-label="${title}"`);
    }
    expect(html).toContain('data-series="budget"');
    expect(html).toContain('data-series="p99"');
  });

  it('has the step table, one row per step, and the per-kind table', () => {
    const table = /<table class="steps">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    const rows = table.match(/<tr>/g) ?? [];
    expect(rows).toHaveLength(3); // header + 2 steps
    // 401 responses in 1 s at concurrency 4; p99 of 400 × 2 ms and one 4 ms is 2 ms
    expect(table).toContain(
      '<tr><td>4</td><td>401</td><td>2</td><td>2</td><td>2</td><td>401</td><td>200: 400, 201: 1</td>',
    );
    expect(html).toMatch(/<table class="kinds">[\s\S]*<td>write<\/td>[\s\S]*<\/table>/);
  });

  it('shows the prediction and its verdict, and the target without its scheme', () => {
    expect(html).toContain('<table class="prediction">');
    expect(html).toContain(`<td>predicted ÷ measured</td><td>${result.prediction.ratio}</td>`);
    expect(html).toContain('<td>limited by</td><td>cpu</td>');
    expect(html).toContain('CPU limited the rate, not connections');
    expect(html).toContain('target 127.0.0.1:3000/');
    expect(html).toContain('metrics 127.0.0.1:9464/metrics');
  });

  it('escapes what it prints', () => {
    const hostile = renderHtmlReport({ ...result, run_label: '<b>&"x"</b>' });
    expect(hostile).toContain('&quot;&lt;b&gt;&amp;\\&quot;x\\&quot;&lt;/b&gt;&quot;');
    expect(hostile).not.toContain('<b>');
  });
});

describe('withoutScheme', () => {
  it('drops the scheme and keeps the rest', () => {
    const urls = ['http://127.0.0.1:3000/', 'https://[::1]:8443/api', '127.0.0.1:3000'];
    expect(urls.map(withoutScheme)).toEqual(['127.0.0.1:3000/', '[::1]:8443/api', '127.0.0.1:3000']);
  });
});

describe('textReport', () => {
  it('prints a line per step, the prediction and where the files went', () => {
    const text = textReport(result, '/tmp/x.json', '/tmp/x.html');
    expect(text).toMatch(/^ {2}4 conns: 401 req\/s, p50 2 \/ p95 2 \/ p99 2 ms, 200×400 201×1; pool in use max 1 /m);
    expect(text).toMatch(/^ {2}16 conns: 701 req\/s, /m);
    expect(text).toContain(`  predicted ÷ measured  ${result.prediction.ratio}; within 25%: no`);
    expect(text).toContain('Wrote /tmp/x.json\n  and /tmp/x.html\n');
  });
});

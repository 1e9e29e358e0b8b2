import { benchCharts, standaloneSvg, widthForLegend } from '../../bench/report/charts';
import { fmt, fmtMeasured, fmtRatio, markdownTable, statusList, textTable } from '../../bench/report/format';
import { renderMarkdown, SECTION_TITLES } from '../../bench/report/markdown';
import { summaryTable } from '../../bench/report/summary-table';
import { fileStamp } from '../../bench/report/write';
import { benchResult, emptyBenchResult } from '../support/bench-result';

/** Checks that every element is closed in order (comments and the XML declaration skipped). */
function expectWellFormed(markup: string): void {
  expect(markup.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" ')).toBe(
    true,
  );
  const stack: string[] = [];
  for (const [tag, closing, name, selfClosing] of markup
    .replace(/^<\?xml[^>]*\?>/, '')
    .matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    if (selfClosing === '/') continue;
    if (closing === '/') expect({ tag, open: stack.pop() }).toEqual({ tag, open: name });
    else stack.push(name as string);
  }
  expect(stack).toEqual([]);
  // Only the five XML entities; a bare & or < inside text would break the file.
  expect(markup).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
  expect(markup.match(/<svg /g)).toHaveLength(1);
}

const result = benchResult();
const charts = benchCharts(result);
const files = charts.map((c) => ({ name: c.name, title: c.title, file: `bench-x-${c.name}.svg` }));
const markdown = renderMarkdown(result, files, 'bench-x.json');

describe('benchCharts', () => {
  it('draws the point lookup per round and the overload timeline, each a standalone, well-formed SVG', () => {
    expect(charts.map((c) => c.name)).toEqual(['point-lookup', 'overload-connections', 'overload-statuses']);
    for (const c of charts) expectWellFormed(c.svg);
  });

  it('has one series per contender, and the budget as a dashed limit', () => {
    const [point, connections, statuses] = charts.map((c) => c.svg) as [string, string, string];
    const labels = ['aquifer, 2 workers', 'node:http + pg', 'Fastify + pg', 'bare Express + pg', 'aquifer, 1 worker'];
    for (const label of labels) expect(point).toContain(`data-series="${label}"`);
    expect(point.match(/<circle /g)).toHaveLength(15); // 5 contenders × 3 rounds
    // Each contender its own colour.
    const colours = [...point.matchAll(/data-series="[^"]*">\n<polyline [^>]*stroke="(#[0-9a-f]+)"/g)].map((m) => m[1]);
    expect(colours).toHaveLength(labels.length);
    expect(new Set(colours).size).toBe(labels.length);
    // The legend is one row: the chart widens so that the last name still ends inside it.
    const width = Number(/<svg [^>]*width="(\d+)"/.exec(point)?.[1]);
    const last = [...point.matchAll(/<text x="([\d.]+)"[^>]*class="legend">([^<]*)</g)].at(-1);
    expect(last?.[2]).toBe('aquifer, 1 worker');
    expect(Number(last?.[1]) + (last?.[2]?.length ?? 0) * 7).toBeLessThanOrEqual(width);
    expect(widthForLegend([])).toBe(720);
    expect(connections).toMatch(/data-series="budget"[\s\S]*stroke-dasharray/);
    expect(statuses).toContain('data-series="200/s"');
    expect(statuses).toContain('data-series="503/s"');
    expect(statuses).not.toContain('data-series="other/s"');
  });

  it('draws nothing for steps that did not run', () => {
    expect(benchCharts(emptyBenchResult())).toEqual([]);
  });

  it('refuses markup that is not an <svg> element', () => {
    expect(() => standaloneSvg('<div></div>')).toThrow('not an <svg> element');
  });
});

describe('renderMarkdown', () => {
  it('has every section, in order', () => {
    const headings = [...markdown.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual([...SECTION_TITLES]);
  });

  it('says "not run" for each skipped step and still has every section', () => {
    const empty = renderMarkdown(emptyBenchResult(), [], 'bench-y.json');
    expect([...empty.matchAll(/^## (.+)$/gm)].map((m) => m[1])).toEqual([...SECTION_TITLES]);
    expect(empty.match(/_Not run in this bench/g)).toHaveLength(6);
    expect(empty).toContain('| point lookup ≥ 0.8× Fastify | – | not measured | the point-lookup step did not run |');
  });

  it('names the machine: CPU, cores, memory, Node, PostgreSQL, date and commit', () => {
    expect(markdown).toContain('| CPU | Test CPU <fast> & "cheap" × 2 cores |');
    expect(markdown).toContain('| memory | 23.4 GB |');
    expect(markdown).toContain('| Node.js | v20.19.0 |');
    expect(markdown).toContain('| PostgreSQL | 18.4 |');
    expect(markdown).toContain('| date | 2026-11-30T08:00:00.000Z |');
    expect(markdown).toContain('| git commit | abc123 (with uncommitted changes) |');
  });

  it('has the figures, the ratios and the verdicts', () => {
    expect(markdown).toContain('| aquifer, 2 workers | 2 × 8 | 1,000 | 21 | 81 | 30,000 | 1,000, 1,100, 900 |');
    expect(markdown).toContain('- aquifer ÷ Fastify: **0.833×**');
    expect(markdown).toContain('| bare Express + pg | 2 × 8 | 1,100 | 21 | 81 | 33,500 | 1,100, 1,200, 1,050 |');
    expect(markdown).toContain(
      '- aquifer ÷ bare Express: **0.909×** (median of per-round ratios; ratio of medians 0.909×; ' +
        'rounds 0.909×, 0.917×, 0.857×)',
    );
    expect(markdown).toContain('- bare Express ÷ Fastify: **0.917×**');
    expect(markdown).toMatch(/aquifer ÷ bare Express is what the app's production features cost/);
    expect(markdown).toContain('| overload: goodput ≥ 90% of peak | 0.93 of peak | PASS |');
    expect(markdown).toContain('| bulk upload ≥ 0.7× raw COPY | 0.5× | MISS |');
    expect(markdown).toContain(
      '| upload, round 1 | 1,000 / 1,000 / 1,000 | 0.5 | 2,000 | 12.5 (100 → 112.5) | HTTP 201 |',
    );
    expect(markdown).toContain('| overload | 18.2 (w0 18.2, w1 15) |');
  });

  it('says the Express ratios were not measured, and does not explain them, when bare Express did not run', () => {
    const point = result.point_lookup as NonNullable<typeof result.point_lookup>;
    const contenders = point.contenders.filter((c) => c.name !== 'express');
    const without = renderMarkdown(
      { ...result, point_lookup: { ...point, contenders, app_vs_express: null, express_vs_fastify: null } },
      files,
      'bench-x.json',
    );
    expect(without).toContain('- aquifer ÷ bare Express: not measured');
    expect(without).toContain('- bare Express ÷ Fastify: not measured');
    expect(without).not.toContain('Bare Express + pg is');
    // A version-1 file written before the two fields existed reads the same.
    const { app_vs_express: _a, express_vs_fastify: _b, ...older } = point;
    const oldPoint = { ...older, contenders } as unknown as typeof point;
    const old = renderMarkdown({ ...result, point_lookup: oldPoint }, [], 'old.json');
    expect(old).toContain('- aquifer ÷ bare Express: not measured');
  });

  it('links each chart by its file name, and escapes pipes inside cells', () => {
    for (const f of files) expect(markdown).toContain(`](${f.file})`);
    expect(markdown).toContain('- A note | with a pipe.'); // a list item, not a cell: left alone
    expect(markdownTable(['a'], [['x | y']])).toBe('| a |\n| --- |\n| x \\| y |');
  });
});

describe('summaryTable', () => {
  const text = summaryTable(result, { json: '/out/bench-x.json', markdown: '/out/bench-x.md' });

  it('has a row per contender, the ratios, every verdict and the files', () => {
    expect(text).toMatch(/point lookup +aquifer, 2 workers +1,000 +21 +81/);
    expect(text).toMatch(/aquifer ÷ Fastify +0\.833×/);
    expect(text).toMatch(/point lookup +bare Express \+ pg +1,100 +21 +81/);
    expect(text).toMatch(/aquifer ÷ bare Express +0\.909×/);
    expect(text).toMatch(/bare Express ÷ Fastify +0\.917×/);
    expect(text).toMatch(/scaling +aquifer, 2 workers ÷ aquifer, 1 worker/);
    for (const v of result.verdicts) expect(text).toContain(v.target);
    expect(text).toMatch(/bulk upload ≥ 0\.7× raw COPY +0\.5× +MISS/);
    expect(text).toContain('json: /out/bench-x.json');
    expect(text).toContain('report: /out/bench-x.md');
  });

  it('leaves the figures table out when no load step ran', () => {
    const empty = summaryTable(emptyBenchResult(), { json: 'j', markdown: 'm' });
    expect(empty).not.toContain('p50 ms');
    expect(empty).toContain('not measured');
  });
});

describe('formatting', () => {
  it.each([
    [1234.567, 2, '1,234.57'],
    [0.5, 2, '0.5'],
    [null, 2, '–'],
    [NaN, 2, '–'],
    [1999.6, 0, '2,000'],
  ])('fmt(%p, %p) is %p', (v, digits, text) => {
    expect(fmt(v, digits)).toBe(text);
  });

  it('formats ratios, statuses, padded tables and file stamps', () => {
    expect(fmtRatio(0.71234)).toBe('0.712×');
    expect(fmtRatio(null)).toBe('–');
    expect(fmtMeasured({ measured: 0.7129, unit: 'ratio' })).toBe('0.713×');
    expect(fmtMeasured({ measured: 16, unit: 'connections' })).toBe('16 connections');
    expect(fmtMeasured({ measured: null, unit: 'ms' })).toBe('–');
    expect(statusList({ '503': 2, '200': 1000 })).toBe('200: 1,000, 503: 2');
    expect(statusList({})).toBe('none');
    expect(
      textTable(
        [
          ['a', '1'],
          ['bbb', '22'],
        ],
        new Set([1]),
      ),
    ).toBe('a     1\nbbb  22');
    expect(fileStamp('2026-11-30T08:09:10.123Z')).toBe('2026-11-30T08-09-10-123Z');
  });
});

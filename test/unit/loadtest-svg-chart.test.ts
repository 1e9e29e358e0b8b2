import { chartGeometry, escapeXml, lineChart, niceStep, type ChartOptions } from '../../server/loadtest/svg-chart';

/** Checks that every element is closed in order: enough structure for an inline SVG. */
function expectBalancedTags(markup: string): void {
  const stack: string[] = [];
  for (const [tag, closing, name, selfClosing] of markup.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    if (selfClosing === '/') continue;
    if (closing === '/') expect({ tag, open: stack.pop() }).toEqual({ tag, open: name });
    else stack.push(name as string);
  }
  expect(stack).toEqual([]);
}

// 640 × 320 with margins left 64, right 16, top 48, bottom 48: the plot spans x 64..624 and y 48..272.
/** Points from [x, y] pairs, to keep the fixtures short. */
const xy = (...pairs: [number, number][]) => pairs.map(([x, y]) => ({ x, y }));

const chart = (over: Partial<ChartOptions> = {}): ChartOptions => ({
  title: 'Throughput',
  xLabel: 'concurrency',
  yLabel: 'requests/s',
  series: [{ name: 'rps', color: '#123456', points: xy([1, 0], [2, 40], [3, 80]) }],
  ...over,
});

const circles = (svg: string) =>
  [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map(([, cx, cy]) => [Number(cx), Number(cy)]);

describe('niceStep', () => {
  it.each([
    [16, 20],
    [0.3, 0.5],
    [1, 1],
    [2.2, 2.5],
    [25, 25],
    [7, 10],
    [1234, 2000],
    [0, 1],
  ])('%f → %f', (raw, want) => {
    expect(niceStep(raw)).toBeCloseTo(want, 10);
  });
});

describe('chartGeometry', () => {
  it('maps the data range onto the plot, y from 0 to a nice maximum', () => {
    const g = chartGeometry(chart());
    expect(g.plot).toEqual({ left: 64, right: 624, top: 48, bottom: 272 });
    // max 80 → step niceStep(80 / 5) = 20 → y axis 0..80
    expect([g.yStep, g.yMax]).toEqual([20, 80]);
    expect([g.x(1), g.x(2), g.x(3)]).toEqual([64, 344, 624]);
    expect([g.y(0), g.y(40), g.y(80)]).toEqual([272, 160, 48]);
    expect(g.xTicks).toEqual([1, 2, 3]);
  });

  it('spaces doubling steps evenly on a log-2 axis', () => {
    const points = [4, 16, 64].map((x) => ({ x, y: 3 }));
    const g = chartGeometry(chart({ logX: true, series: [{ name: 'p99', color: 'red', points }] }));
    expect([g.x(4), g.x(16), g.x(64)]).toEqual([64, 344, 624]);
    // max 3 → step niceStep(0.6) = 1 → 0..3
    expect([g.yStep, g.yMax]).toEqual([1, 3]);
  });

  it('puts a lone x in the middle and gives an all-zero chart a unit axis', () => {
    const g = chartGeometry(chart({ series: [{ name: 'z', color: 'red', points: [{ x: 8, y: 0 }] }] }));
    expect(g.x(8)).toBe(344);
    expect(g.yMax).toBe(1);
    expect(g.y(0)).toBe(272);
  });
});

describe('lineChart', () => {
  it('is one balanced <svg> element with a marker at each point where the geometry puts it', () => {
    const svg = lineChart(chart());
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expectBalancedTags(svg);
    expect(circles(svg)).toEqual([
      [64, 272],
      [344, 160],
      [624, 48],
    ]);
    expect(svg).toContain('<polyline points="64,272 344,160 624,48"');
    expect(svg).toContain('viewBox="0 0 640 320"');
    // y ticks 0, 20, …, 80 and x ticks at the data's own x values
    for (const t of ['0', '20', '40', '60', '80']) expect(svg).toMatch(new RegExp(`class="tick">${t}</text>`));
  });

  it('draws a dashed limit line without markers, beside the other series', () => {
    const inUse = { name: 'in use', color: 'blue', points: xy([1, 2], [4, 5]) };
    const budget = { name: 'budget', color: 'gray', dashed: true, points: xy([1, 6], [4, 6]) };
    const svg = lineChart(chart({ series: [inUse, budget] }));
    expectBalancedTags(svg);
    expect(circles(svg)).toHaveLength(2);
    expect(svg).toMatch(/<g class="series" data-series="budget">\n<polyline [^>]*stroke-dasharray="6 4"/);
  });

  it('escapes text and refers to nothing outside itself', () => {
    const svg = lineChart(
      chart({ title: 'p99 <& "quoted">', series: [{ name: 'a<b', color: 'red', points: [{ x: 1, y: 1 }] }] }),
    );
    expect(svg).toContain('p99 &lt;&amp; &quot;quoted&quot;&gt;');
    expect(svg).toContain('a&lt;b');
    expectBalancedTags(svg);
    expect(svg).not.toMatch(/https?:|href|xlink|<script|<image|url\(/i);
  });

  it('skips points that are not finite numbers', () => {
    const svg = lineChart(chart({ series: [{ name: 's', color: 'red', points: xy([1, NaN], [2, 3]) }] }));
    expect(circles(svg)).toHaveLength(1);
    expect(svg).not.toContain('NaN');
  });
});

describe('escapeXml', () => {
  it('escapes what matters in text and in double-quoted attributes', () => {
    expect(escapeXml(`<a href="x">&</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });
});

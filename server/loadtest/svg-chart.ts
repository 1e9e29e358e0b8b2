/**
 * A small line chart as inline SVG text, for the load-test report: no library,
 * no script, no external reference (not even the SVG namespace URL, which
 * inline SVG in HTML does not need), so the report opens anywhere offline.
 */

export interface ChartPoint {
  readonly x: number;
  readonly y: number;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
  /** Any CSS colour. */
  readonly color: string;
  /** Drawn dashed, without markers: for limits such as the budget. */
  readonly dashed?: boolean;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  readonly width?: number;
  readonly height?: number;
  /** Log-2 x axis: concurrency steps usually double, and would crowd the left on a linear one. */
  readonly logX?: boolean;
}

/** Room for tick labels (left, bottom), the title and legend (top) and a little air (right). */
export const MARGIN = { left: 64, right: 16, top: 48, bottom: 48 } as const;
const Y_TICKS = 5;

export interface ChartGeometry {
  readonly plot: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  readonly yMax: number;
  readonly yStep: number;
  readonly xTicks: readonly number[];
  x(value: number): number;
  y(value: number): number;
}

/** The smallest of 1, 2, 2.5, 5 × 10^k at or above `raw`: tick steps people can read. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw * (1 - 1e-12)) as number;
  return step * magnitude;
}

/** Maps data to pixels: x over the data's range (ticks at the data's own x values), y from 0 to a nice maximum. */
export function chartGeometry(opts: ChartOptions): ChartGeometry {
  const width = opts.width ?? 640;
  const height = opts.height ?? 320;
  const plot = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };
  const points = opts.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xTicks = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const toAxis = (v: number) => (opts.logX ? Math.log2(Math.max(v, Number.MIN_VALUE)) : v);
  const xMin = toAxis(xTicks[0] ?? 0);
  const xMax = toAxis(xTicks.at(-1) ?? 1);
  const yStep = niceStep(Math.max(0, ...points.map((p) => p.y)) / Y_TICKS);
  const yMax = yStep * Math.max(1, Math.ceil(Math.max(0, ...points.map((p) => p.y)) / yStep - 1e-9));
  return {
    plot,
    yMax,
    yStep,
    xTicks,
    // A single x value sits in the middle rather than dividing by zero.
    x: (v) =>
      xMax === xMin
        ? (plot.left + plot.right) / 2
        : plot.left + ((toAxis(v) - xMin) / (xMax - xMin)) * (plot.right - plot.left),
    y: (v) => plot.bottom - (v / yMax) * (plot.bottom - plot.top),
  };
}

export const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const px = (v: number) => String(Math.round(v * 10) / 10);
const label = (v: number) => String(Math.round(v * 100) / 100);

export function lineChart(opts: ChartOptions): string {
  const g = chartGeometry(opts);
  const { plot } = g;
  const width = opts.width ?? 640;
  const height = opts.height ?? 320;
  const out: string[] = [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
      `aria-label="${escapeXml(opts.title)}">`,
    `<text x="${px(width / 2)}" y="20" text-anchor="middle" class="chart-title">${escapeXml(opts.title)}</text>`,
  ];
  for (let i = 0; i <= Math.round(g.yMax / g.yStep); i++) {
    const v = i * g.yStep;
    out.push(
      `<line x1="${plot.left}" y1="${px(g.y(v))}" x2="${plot.right}" y2="${px(g.y(v))}" class="grid"/>`,
      `<text x="${plot.left - 6}" y="${px(g.y(v) + 4)}" text-anchor="end" class="tick">${label(v)}</text>`,
    );
  }
  for (const t of g.xTicks) {
    out.push(
      `<line x1="${px(g.x(t))}" y1="${plot.bottom}" x2="${px(g.x(t))}" y2="${plot.bottom + 4}" class="axis"/>`,
      `<text x="${px(g.x(t))}" y="${plot.bottom + 16}" text-anchor="middle" class="tick">${label(t)}</text>`,
    );
  }
  out.push(
    `<line x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}" class="axis"/>`,
    `<line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}" class="axis"/>`,
    `<text x="${px((plot.left + plot.right) / 2)}" y="${height - 8}" text-anchor="middle" class="axis-label">` +
      `${escapeXml(opts.xLabel)}</text>`,
    `<text x="14" y="${px((plot.top + plot.bottom) / 2)}" text-anchor="middle" class="axis-label" ` +
      `transform="rotate(-90 14 ${px((plot.top + plot.bottom) / 2)})">${escapeXml(opts.yLabel)}</text>`,
  );
  // Legend in one row between the title and the plot, so it never covers a point.
  let legendX: number = plot.left;
  for (const s of opts.series) {
    const points = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    const coords = points.map((p) => `${px(g.x(p.x))},${px(g.y(p.y))}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    const color = escapeXml(s.color);
    out.push(`<g class="series" data-series="${escapeXml(s.name)}">`);
    if (points.length > 1)
      out.push(`<polyline points="${coords}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    if (!s.dashed || points.length === 1) {
      for (const p of points) {
        out.push(
          `<circle cx="${px(g.x(p.x))}" cy="${px(g.y(p.y))}" r="3.5" fill="${color}">` +
            `<title>${escapeXml(`${s.name}: ${label(p.y)} at ${label(p.x)}`)}</title></circle>`,
        );
      }
    }
    const ly = plot.top - 10;
    out.push(
      `<line x1="${legendX}" y1="${ly}" x2="${legendX + 20}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${legendX + 26}" y="${ly + 4}" class="legend">${escapeXml(s.name)}</text>`,
      '</g>',
    );
    legendX += 40 + s.name.length * 7;
  }
  out.push('</svg>');
  return out.join('\n');
}

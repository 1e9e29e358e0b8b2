/**
 * The report's SVG charts (pure), drawn with the load test's line chart and
 * made standalone: a file on its own needs the SVG namespace and its own
 * styles, which the load test's HTML page otherwise supplies.
 */
import { lineChart, MARGIN, type ChartSeries } from '../../server/loadtest/svg-chart';
import type { BenchJson } from '../result';

export interface Chart {
  /** File-name part: `bench-<stamp>-<name>.svg`. */
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

const PALETTE = ['#2d6cdf', '#c0392b', '#2e8540', '#8e44ad', '#e67e22', '#5a6272'];

const CHART_WIDTH = 720;

/**
 * Wide enough for the legend, which the line chart lays out in one row, each entry 40 px plus
 * 7 px per character of its name: five contenders do not fit in CHART_WIDTH.
 */
export const widthForLegend = (series: readonly ChartSeries[]): number =>
  Math.max(CHART_WIDTH, MARGIN.left + series.reduce((w, s) => w + 40 + s.name.length * 7, 0) + MARGIN.right);

const STYLE =
  '<style>' +
  'text { font: 11px system-ui, sans-serif; fill: #3b4352; } .chart-title { font-size: 13px; font-weight: 600; } ' +
  '.grid { stroke: #eef0f4; } .axis { stroke: #8a93a3; }' +
  '</style>';

/** The inline chart as a file: namespace, XML declaration, styles and a white background. */
export function standaloneSvg(inline: string): string {
  const opening = /^<svg ([^>]*)>/.exec(inline);
  if (!opening) throw new Error('not an <svg> element');
  const rest = inline.slice(opening[0].length);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg xmlns="http://www.w3.org/2000/svg" ${opening[1]}>\n${STYLE}\n` +
    `<rect width="100%" height="100%" fill="#ffffff"/>${rest}\n`
  );
}

function pointLookupChart(result: BenchJson): Chart | null {
  const point = result.point_lookup;
  if (!point || point.contenders.length === 0) return null;
  const series: ChartSeries[] = point.contenders.map((c, i) => ({
    name: c.label,
    color: PALETTE[i % PALETTE.length] as string,
    points: c.runs.map((r) => ({ x: r.round, y: r.requests_per_s })),
  }));
  const title = `Point lookup: requests/s per round (${point.connections} connections)`;
  return {
    name: 'point-lookup',
    title,
    svg: standaloneSvg(
      lineChart({ title, xLabel: 'round', yLabel: 'requests/s', series, width: widthForLegend(series), height: 340 }),
    ),
  };
}

function overloadCharts(result: BenchJson): Chart[] {
  const o = result.overload;
  if (!o || o.timeline.buckets.length === 0) return [];
  const { buckets, bucket_seconds: width } = o.timeline;
  const seen = buckets.flatMap((b) => (b.connections_max === null ? [] : [{ x: b.t_s, y: b.connections_max }]));
  const span = [buckets[0]?.t_s ?? 0, buckets.at(-1)?.t_s ?? 0];
  const xLabel = width === 1 ? 'second of the step' : `second of the step (${width} s buckets)`;
  const connectionsTitle = `Overload: aquifer connections in pg_stat_activity vs budget (${o.connections} clients)`;
  const statusTitle = 'Overload: responses per second';
  const statusSeries: ChartSeries[] = [
    { name: '200/s', color: '#2e8540', points: buckets.map((b) => ({ x: b.t_s, y: b.ok_per_s })) },
    { name: '503/s', color: '#c0392b', points: buckets.map((b) => ({ x: b.t_s, y: b.busy_per_s })) },
  ];
  // Other statuses are a miss of their own; draw them only when there are any.
  if (buckets.some((b) => b.other_per_s > 0)) {
    statusSeries.push({
      name: 'other/s',
      color: '#8e44ad',
      points: buckets.map((b) => ({ x: b.t_s, y: b.other_per_s })),
    });
  }
  return [
    {
      name: 'overload-connections',
      title: connectionsTitle,
      svg: standaloneSvg(
        lineChart({
          title: connectionsTitle,
          xLabel,
          yLabel: 'connections',
          width: 720,
          height: 340,
          series: [
            { name: 'max seen', color: '#2d6cdf', points: seen },
            { name: 'budget', color: '#5a6272', dashed: true, points: span.map((x) => ({ x, y: o.budget })) },
          ],
        }),
      ),
    },
    {
      name: 'overload-statuses',
      title: statusTitle,
      svg: standaloneSvg(
        lineChart({ title: statusTitle, xLabel, yLabel: 'responses/s', width: 720, height: 340, series: statusSeries }),
      ),
    },
  ];
}

export function benchCharts(result: BenchJson): Chart[] {
  return [pointLookupChart(result), ...overloadCharts(result)].filter((c): c is Chart => c !== null);
}

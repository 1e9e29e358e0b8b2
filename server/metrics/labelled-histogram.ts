/**
 * A Prometheus histogram for the request path. prom-client's Histogram checks
 * and hashes the label object on every observation, even through a labelled
 * child; here each child is found once by a string key and an observation is a
 * bucket search and three additions. The registry reads it through the same
 * `get()` shape prom-client's own metrics have, so scrapes, the default labels
 * and the primary's summing across workers treat it as any histogram.
 */
import type { Registry } from 'prom-client';

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Per bucket (not cumulative), then one slot for values above the last bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export interface HistogramChild {
  observe(value: number): void;
}

interface MetricValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly sharedLabels?: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName: string;
}

interface MetricData {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: string;
  readonly values: readonly MetricValue[];
}

export class LabelledHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private series = new Map<string, { readonly series: Series; readonly child: HistogramChild }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    // registerMetric takes any object with prom-client's metric shape (name, help, type, get).
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series for these label values (in `labelNames` order), created on first use. */
  child(...values: string[]): HistogramChild {
    const key = values.join('\u0000');
    const known = this.series.get(key);
    if (known !== undefined) return known.child;
    const labels = Object.fromEntries(this.labelNames.map((name, i) => [name, values[i] ?? '']));
    const series: Series = { labels, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
    const bounds = this.buckets;
    const child = {
      observe(value: number) {
        // prom-client throws on these; one NaN would make the sum NaN for good.
        if (!Number.isFinite(value)) return;
        let i = 0;
        while (i < bounds.length && value > (bounds[i] as number)) i++;
        series.counts[i] = (series.counts[i] as number) + 1;
        series.sum += value;
        series.count++;
      },
    };
    this.series.set(key, { series, child });
    return child;
  }

  /** The registry's text scrape: the series' labels go as prom-client's "shared" labels, after the defaults. */
  getForPromString(): Promise<MetricData> {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { series: s } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i] as number;
        values.push({ labels: { le }, sharedLabels: s.labels, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** The JSON the primary aggregates: each value with all its labels. */
  async get(): Promise<MetricData> {
    const data = await this.getForPromString();
    const values = data.values.map(({ labels, sharedLabels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels },
    }));
    return { ...data, values };
  }

  /** Zeroes every series in place: children handed out earlier keep counting into scraped series. */
  reset(): void {
    for (const { series } of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}

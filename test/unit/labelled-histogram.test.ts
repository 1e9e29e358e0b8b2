import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { LabelledHistogram } from '../../server/metrics/labelled-histogram';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVATIONS: readonly [route: string, status: string, seconds: number][] = [
  ['GET /a', '200', 0.0005],
  ['GET /a', '200', 0.001], // on a bound: counted in that bucket (le is "less than or equal")
  ['GET /a', '200', 0.05],
  ['GET /a', '404', 3],
  ['POST /b', '201', 0.2],
  ['GET /a', '200', 0],
];

/** The same observations through prom-client's Histogram and ours, each in a registry of its own. */
function bothRegistries() {
  const theirs = new Registry();
  const ours = new Registry();
  for (const r of [theirs, ours]) r.setDefaultLabels({ worker: 'w0' });
  const reference = new Histogram({
    name: 'x_seconds',
    help: 'help text',
    labelNames: ['route', 'status'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const fast = new LabelledHistogram('x_seconds', 'help text', ['route', 'status'], BUCKETS, ours);
  for (const [route, status, seconds] of OBSERVATIONS) {
    reference.observe({ route, status }, seconds);
    fast.child(route, status).observe(seconds);
  }
  return { theirs, ours, fast };
}

describe('LabelledHistogram', () => {
  it('scrapes exactly as prom-client’s Histogram does for the same observations', async () => {
    const { theirs, ours } = bothRegistries();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('sums across workers like a prom-client histogram (the primary’s aggregation)', async () => {
    const { theirs, ours } = bothRegistries();
    const reference = await AggregatorRegistry.aggregate([
      await theirs.getMetricsAsJSON(),
      await theirs.getMetricsAsJSON(),
    ]).metrics();
    const aggregated = await AggregatorRegistry.aggregate([
      await ours.getMetricsAsJSON(),
      await ours.getMetricsAsJSON(),
    ]).metrics();
    expect(aggregated).toBe(reference);
    expect(aggregated).toContain('x_seconds_count{route="GET /a",status="200",worker="w0"} 8');
  });

  it('hands back the same child for the same labels; reset() zeroes, and old children still count', async () => {
    const { ours, fast } = bothRegistries();
    const child = fast.child('GET /a', '200');
    expect(fast.child('GET /a', '200')).toBe(child);
    fast.reset();
    expect(await ours.metrics()).toContain('x_seconds_count{worker="w0",route="GET /a",status="200"} 0');
    child.observe(0.5);
    expect(await ours.metrics()).toContain('x_seconds_count{worker="w0",route="GET /a",status="200"} 1');
  });

  it('ignores a value that is not a finite number instead of poisoning the sum', async () => {
    const { ours, fast } = bothRegistries();
    fast.child('GET /a', '200').observe(Number.NaN);
    fast.child('GET /a', '200').observe(Number.POSITIVE_INFINITY);
    expect(await ours.metrics()).toContain(
      'x_seconds_sum{worker="w0",route="GET /a",status="200"} 0.051500000000000004',
    );
  });

  it('keeps an unlabelled series from the start, as prom-client does', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    new Histogram({ name: 'wait_seconds', help: 'h', buckets: BUCKETS, registers: [theirs] });
    new LabelledHistogram('wait_seconds', 'h', [], BUCKETS, ours).child();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});

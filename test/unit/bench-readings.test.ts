import { readyWorkerPids } from '../../bench/processes';
import { bulkRow, BULK_FROM } from '../../bench/steps/bulk-files';
import { problemSummary } from '../../bench/steps/bulk';
import { eventLoopFromScrape } from '../../bench/steps/event-loop';
import { warmupSeconds } from '../../bench/steps/point-lookup';
import { SEED_SCHEDULE } from '../../server/seed/generate';

describe('eventLoopFromScrape', () => {
  it('takes the worst worker’s p99, in ms', () => {
    const scrape = [
      '# HELP aquifer_event_loop_delay_seconds Event-loop delay since the previous scrape, by quantile',
      '# TYPE aquifer_event_loop_delay_seconds gauge',
      'aquifer_event_loop_delay_seconds{quantile="0.5",worker="w0"} 0.011',
      'aquifer_event_loop_delay_seconds{quantile="0.99",worker="w0"} 0.0123456',
      'aquifer_event_loop_delay_seconds{quantile="0.99",worker="w1"} 0.031',
      'aquifer_event_loop_delay_seconds{quantile="1",worker="w1"} 0.2',
      'aquifer_db_pool_max{worker="w0"} 8',
    ].join('\n');
    expect(eventLoopFromScrape(scrape)).toEqual({ p99Ms: 31, byWorker: { w0: 12.35, w1: 31 } });
  });

  it('reads nothing from a scrape without the gauge', () => {
    expect(eventLoopFromScrape('aquifer_db_pool_max{worker="w0"} 8\n')).toEqual({ p99Ms: null, byWorker: {} });
  });
});

describe('readyWorkerPids', () => {
  it('keeps the latest pid of each worker index and skips other lines', () => {
    const log = [
      '{"level":30,"msg":"worker ready","worker":0,"workerPid":101}',
      'not json "worker ready"',
      '{"level":30,"msg":"worker ready","worker":1,"workerPid":102}',
      '{"level":30,"msg":"request completed"}',
      '{"level":30,"msg":"worker ready","worker":0,"workerPid":103}',
      '',
    ].join('\n');
    expect(readyWorkerPids(log).sort()).toEqual([102, 103]);
  });
});

describe('bulkRow', () => {
  const wells = [
    { id: '7', site_code: 'SEED-0000007' },
    { id: '9', site_code: 'SEED-0000009' },
  ];

  it('gives the same reading in both files, the upload by site code and the COPY by well id', () => {
    expect(bulkRow(0, wells)).toEqual({
      app: 'SEED-0000007,2025-12-30T00:00:00.000Z,1,steel-tape',
      raw: '7,2025-12-30T00:00:00.000Z,1,steel-tape',
    });
    expect(bulkRow(3, wells).raw).toBe('9,2025-12-30T00:00:01.000Z,12.1,steel-tape');
  });

  it('starts after the last seeded reading and never repeats a (well, instant)', () => {
    expect(Date.parse(BULK_FROM)).toBeGreaterThanOrEqual(Date.parse(`${SEED_SCHEDULE.endDate}T23:59:59.999Z`));
    const keys = Array.from({ length: 1000 }, (_, i) => bulkRow(i, wells).raw.split(',').slice(0, 2).join());
    expect(new Set(keys).size).toBe(1000);
  });
});

describe('problemSummary', () => {
  it('puts the detail and the first row errors on one line', () => {
    const body = JSON.stringify({
      detail: 'The file has errors',
      errors: [1, 2, 3, 4].map((line) => ({ line, path: 'observed_at', message: 'bad' })),
    });
    expect(problemSummary(body)).toBe(
      'The file has errors; line 1 observed_at: bad; line 2 observed_at: bad; line 3 observed_at: bad',
    );
    expect(problemSummary('<html>oops</html>')).toBe('<html>oops</html>');
  });
});

describe('warmupSeconds', () => {
  it.each([
    [1, 1],
    [2, 1],
    [10, 4],
    [60, 5],
  ])('a %i s round gets a %i s warm-up', (round, warmup) => {
    expect(warmupSeconds(round)).toBe(warmup);
  });
});

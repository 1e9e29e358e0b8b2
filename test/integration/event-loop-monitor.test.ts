import express from 'express';
import request from 'supertest';
import { monitorEventLoop } from '../../server/lib/event-loop-monitor';
import { setCurrentRoute } from '../../server/lib/request-context';
import { requestEnvelope } from '../../server/lib/request-envelope';
import { captureLogs } from '../support/log-capture';

/** Runs synchronously for `ms`: what a CPU-bound handler does to every other request. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('event-loop monitor', () => {
  it('warns with the routes in flight when the loop stalls past the threshold, and not otherwise', async () => {
    const { logger, logs } = captureLogs();
    const monitor = monitorEventLoop(logger, 100);
    try {
      const app = express();
      app.use(requestEnvelope({ logger: logger, headers: [], isShuttingDown: () => false }));
      app.get('/cpu/:ms', (req, res) => {
        setCurrentRoute('GET /cpu/:ms');
        block(Number(req.params.ms));
        // Answered in the same turn: by the time the stall is noticed, the request has finished.
        res.json({ ok: true });
      });

      // Only warnings naming the route count: a loaded machine may stall the test process by itself.
      const blamingRoute = () =>
        logs.filter(
          (l) => l.msg === 'event loop blocked' && (l.routesFinished as Record<string, number>)['GET /cpu/:ms'] === 1,
        );
      await request(app).get('/cpu/10').expect(200);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(blamingRoute()).toEqual([]);

      await request(app).get('/cpu/300').expect(200);
      await new Promise((resolve) => setTimeout(resolve, 120));
      const warnings = blamingRoute();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 40, thresholdMs: 100 });
      expect(warnings[0]?.delayMs).toBeGreaterThanOrEqual(200);
      // The delays for metrics saw the stall too (less the 10 ms sampling interval).
      expect(monitor.takeDelays()?.maxMs).toBeGreaterThanOrEqual(190);
    } finally {
      monitor.stop();
    }
  });

  it('reads an idle loop as almost no delay: the sampling interval itself is not delay', async () => {
    const { logger } = captureLogs();
    const monitor = monitorEventLoop(logger, 0);
    try {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const delays = monitor.takeDelays();
      expect(delays?.samples).toBeGreaterThan(10);
      // Node's histogram alone reads about 10 ms here, the interval between its samples.
      expect(delays?.p50Ms).toBeLessThan(5);
      // Taking the delays starts them over.
      expect(monitor.takeDelays()).toBeNull();
    } finally {
      monitor.stop();
    }
  });
});

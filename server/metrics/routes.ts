import { Router } from 'express';
import type { Authorizer } from '../auth/middleware';
import { ServiceUnavailable } from '../lib/errors';
import { METRICS_CONTENT_TYPE } from './host-metrics';

export const METRICS_PATH = '/metrics';

/** GET /metrics on the API port, for admin keys: the host's metrics under our primary, else this process's. */
export function metricsRouter(authorizer: Authorizer, scrape: () => Promise<string>): Router {
  const router = Router();
  router.get(METRICS_PATH, authorizer.require('admin'), async (_req, res) => {
    let text: string;
    try {
      text = await scrape();
    } catch (err) {
      throw new ServiceUnavailable('metrics-unavailable', 'Metrics could not be collected; retry shortly.', 1, err);
    }
    res.setHeader('Content-Type', METRICS_CONTENT_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    res.send(text);
  });
  return router;
}

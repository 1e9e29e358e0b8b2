/** Baseline: bare node:http + pg. No framework, no logging, no validation beyond the route's own regex. */
import http from 'node:http';
import { createBaselinePool, lookUpWell, runBaselineCluster } from './baseline-cluster';

const WELL_PATH = /^\/api\/v1\/wells\/([1-9][0-9]{0,17})$/;

runBaselineCluster(async (settings) => {
  const pool = createBaselinePool(settings, 'raw');
  const send = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    const id = req.method === 'GET' ? WELL_PATH.exec(req.url ?? '')?.[1] : undefined;
    if (id === undefined) {
      send(res, 404, '{"status":404}');
      return;
    }
    lookUpWell(pool, id, settings.preparedStatements).then(
      (body) => (body === null ? send(res, 404, '{"status":404}') : send(res, 200, body)),
      () => send(res, 503, '{"status":503}'),
    );
  });
  process.on('SIGTERM', () => {
    server.close();
    void pool.end().finally(() => process.exit(0));
  });
  await new Promise<void>((resolve) => server.listen(settings.port, '127.0.0.1', resolve));
});

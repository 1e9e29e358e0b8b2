import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { generateApiKey } from '../../server/auth/keys';
import { requestEnvelope } from '../../server/lib/request-envelope';
import { setCurrentRoute } from '../../server/lib/request-context';
import { securityHeaders } from '../../server/lib/security-headers';
import { captureLogs, logLinesFor } from '../support/log-capture';

type Ended = { route: string; status: number | 'aborted'; seconds: number };

function envelopedApp() {
  const { logger, logs } = captureLogs();
  const ended: Ended[] = [];
  let draining = false;
  const app = express();
  app.use(
    requestEnvelope({
      logger,
      headers: securityHeaders(),
      isShuttingDown: () => draining,
      onRequestEnd: (route, status, seconds) => ended.push({ route, status, seconds }),
    }),
  );
  app.get('/slow/:ms', async (req, res) => {
    setCurrentRoute('GET /slow/:ms');
    await new Promise((resolve) => setTimeout(resolve, Number(req.params.ms)));
    if (!res.writableEnded && !req.socket.destroyed) res.json({ ok: true });
  });
  app.get('/plain', (_req, res) => {
    res.json({ ok: true });
  });
  return { app, logs, ended, drain: () => (draining = true) };
}

describe('requestEnvelope', () => {
  it('gives every response an id, the security headers, one log line and one histogram entry', async () => {
    const t = envelopedApp();
    const res = await request(t.app).get('/plain').set('X-Request-Id', 'env-1').expect(200);
    expect(res.headers['x-request-id']).toBe('env-1');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers).toHaveProperty('content-security-policy');
    const [line, ...more] = await logLinesFor(t.logs, 'env-1');
    expect(more).toEqual([]);
    expect(line).toMatchObject({ level: 30, req: { method: 'GET', url: '/plain' }, res: { status: 200 } });
    expect(typeof line?.responseTime).toBe('number');
    // No route was named: the template comes from Express's own match.
    expect(t.ended).toEqual([{ route: 'GET /plain', status: 200, seconds: expect.any(Number) }]);
  });

  it('logs no credential a client put in the URL, keeping only the key prefix', async () => {
    const t = envelopedApp();
    const key = generateApiKey().key;
    const path = `/plain?limit=2&access_token=${key}&apiKey=hunter2&sig=s1gnature-value&q=${encodeURIComponent(key)}`;
    await request(t.app).get(path).set('X-Request-Id', 'env-secret').expect(200);
    const [line] = await logLinesFor(t.logs, 'env-secret');
    const logged = JSON.stringify(line);
    expect(logged).not.toContain(key.slice(20));
    expect(logged).not.toContain('hunter2');
    expect(logged).not.toContain('s1gnature-value');
    expect((line?.req as { url?: string } | undefined)?.url).toBe(
      '/plain?limit=2&access_token=[redacted]&apiKey=[redacted]&sig=[redacted]' + `&q=${key.slice(0, 20)}[redacted]`,
    );
  });

  it('logs no key a client put in the path', async () => {
    const t = envelopedApp();
    const key = generateApiKey().key;
    await request(t.app).get(`/keys/${key}`).set('X-Request-Id', 'env-path-key').expect(404);
    const [line] = await logLinesFor(t.logs, 'env-path-key');
    expect((line?.req as { url?: string } | undefined)?.url).toBe(`/keys/${key.slice(0, 20)}[redacted]`);
  });

  it('says Connection: close while draining', async () => {
    const t = envelopedApp();
    t.drain();
    const res = await request(t.app).get('/plain').expect(200);
    expect(res.headers.connection).toBe('close');
  });

  it('counts and logs a request whose client left before the answer, as "aborted"', async () => {
    const t = envelopedApp();
    const server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/slow/400', headers: { 'X-Request-Id': 'env-abort' } });
        req.on('error', () => resolve());
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
      const [line] = await logLinesFor(t.logs, 'env-abort', 2_000);
      expect(line).toMatchObject({
        level: 40,
        aborted: true,
        msg: 'request aborted',
        req: { url: '/slow/400' },
        res: { status: null },
      });
      expect(t.ended).toEqual([{ route: 'GET /slow/:ms', status: 'aborted', seconds: expect.any(Number) }]);
      expect(t.ended[0]?.seconds).toBeLessThan(0.4);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

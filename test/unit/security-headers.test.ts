import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { securityHeaders } from '../../server/lib/security-headers';

/** The headers helmet itself puts on a real Express response, lower-cased as Node reports them. */
async function helmetOnARealResponse(options?: Parameters<typeof helmet>[0]): Promise<Record<string, string>> {
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet(options));
  app.get('/', (_req, res) => {
    res.end();
  });
  const res = await request(app).get('/');
  const own = new Set(['date', 'connection', 'content-length', 'keep-alive', 'transfer-encoding']);
  return Object.fromEntries(Object.entries(res.headers).filter(([name]) => !own.has(name))) as Record<string, string>;
}

const asRecord = (list: ReturnType<typeof securityHeaders>) =>
  Object.fromEntries(list.map(([name, value]) => [name.toLowerCase(), value]));

describe('securityHeaders', () => {
  it('records exactly what helmet sets with its defaults', async () => {
    const recorded = asRecord(securityHeaders());
    expect(recorded).toEqual(await helmetOnARealResponse());
    // The ones an API most relies on are among them.
    expect(recorded).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN' });
    expect(recorded['content-security-policy']).toContain("frame-ancestors 'self'");
  });

  it('follows helmet’s options too', async () => {
    const options = { frameguard: { action: 'deny' as const }, hsts: false };
    const recorded = asRecord(securityHeaders(options));
    expect(recorded).toEqual(await helmetOnARealResponse(options));
    expect(recorded['x-frame-options']).toBe('DENY');
    expect(recorded).not.toHaveProperty('strict-transport-security');
  });
});

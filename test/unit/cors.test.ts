import express from 'express';
import request from 'supertest';
import { ConfigError, loadConfig, type CorsConfig } from '../../config';
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, corsMiddleware } from '../../server/lib/cors';

const APP = 'https://app.example.org';
const OTHER = 'https://evil.example.net';

/** The middleware in front of routes for every method, answering 200 "reached". */
function appWith(config: CorsConfig) {
  const app = express();
  const cors = corsMiddleware(config);
  if (cors) app.use(cors);
  app.all('/thing', (_req, res) => {
    res.status(200).send('reached');
  });
  return app;
}

const corsHeaders = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-')));

describe('CORS_ORIGINS', () => {
  const origins = (value: string | undefined) => loadConfig({ CORS_ORIGINS: value }).api.cors?.origins;

  it('is closed when unset, empty or only separators', () => {
    expect(origins(undefined)).toEqual([]);
    expect(origins('')).toEqual([]);
    expect(origins(' , ,')).toEqual([]);
    expect(loadConfig({}).api.cors).toEqual({ origins: [], maxAgeS: 600 });
  });

  it('keeps origins as browsers send them: lower-case host, no default port, no duplicates', () => {
    expect(origins('https://App.Example.org:443, http://localhost:5173,*,https://app.example.org')).toEqual([
      APP,
      'http://localhost:5173',
      '*',
    ]);
  });

  it.each([
    'https://app.example.org/',
    'https://app.example.org/path',
    'https://app.example.org?x=1',
    'https://user@app.example.org',
    'ftp://app.example.org',
    'app.example.org',
    'null',
    'https://app.example.org:99999',
    'https://',
  ])('refuses %s, naming it', (value) => {
    let error: unknown;
    try {
      loadConfig({ CORS_ORIGINS: `${APP},${value}` });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringContaining(`CORS_ORIGINS=`)]);
    expect((error as ConfigError).problems[0]).toContain(`has "${value}", which is neither * nor an origin`);
  });

  it.each(['https://*.example.org', 'https://app.*.org:8443', 'http://*'])(
    'refuses the pattern %s: browsers send exact origins, and only * alone opens reads to all',
    (value) => {
      expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(
        new RegExp(`CORS_ORIGINS=.*"${value.replace(/[.*]/g, '\\$&')}".*list each origin`),
      );
    },
  );

  it('takes CORS_MAX_AGE_S as whole seconds', () => {
    expect(loadConfig({ CORS_MAX_AGE_S: '0' }).api.cors?.maxAgeS).toBe(0);
    expect(() => loadConfig({ CORS_MAX_AGE_S: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_MAX_AGE_S: '1.5' })).toThrow(ConfigError);
  });
});

describe('corsMiddleware', () => {
  it('is nothing at all when no origin is configured', () => {
    expect(corsMiddleware(undefined)).toBeNull();
    expect(corsMiddleware({ origins: [], maxAgeS: 600 })).toBeNull();
  });

  describe('with listed origins', () => {
    const app = appWith({ origins: [APP, 'http://localhost:5173'], maxAgeS: 120 });

    it('answers a listed origin’s preflight with 204 and every allow header, without reaching the route', async () => {
      const res = await request(app)
        .options('/thing')
        .set('Origin', APP)
        .set('Access-Control-Request-Method', 'PATCH')
        .set('Access-Control-Request-Headers', 'authorization, content-type');
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(corsHeaders(res.headers)).toEqual({
        'access-control-allow-origin': APP,
        'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
        'access-control-allow-headers': CORS_ALLOW_HEADERS,
        'access-control-max-age': '120',
      });
      expect(res.headers.vary).toBe('Origin');
      expect(res.headers).not.toHaveProperty('access-control-allow-credentials');
    });

    it('echoes a listed origin on the actual request and exposes the headers a client reads', async () => {
      const res = await request(app).post('/thing').set('Origin', 'http://localhost:5173').expect(200);
      expect(corsHeaders(res.headers)).toEqual({
        'access-control-allow-origin': 'http://localhost:5173',
        'access-control-expose-headers': CORS_EXPOSE_HEADERS,
      });
      expect(res.headers.vary).toBe('Origin');
    });

    it.each([
      ['another origin', OTHER],
      ['a listed host on another scheme', 'http://app.example.org'],
      ['a listed host on another port', 'https://app.example.org:8443'],
      ['a suffix of a listed origin', `${APP}.evil.example.net`],
      ['two origins at once', `${APP}, ${OTHER}`],
      ['the opaque origin', 'null'],
    ])('gives %s no CORS header, and lets its preflight through unanswered', async (_label, origin) => {
      const actual = await request(app).get('/thing').set('Origin', origin).expect(200);
      expect(corsHeaders(actual.headers)).toEqual({});
      expect(actual.headers.vary).toBe('Origin');
      const preflight = await request(app)
        .options('/thing')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.text).toBe('reached');
      expect(corsHeaders(preflight.headers)).toEqual({});
    });

    it('refuses a preflight for a method the API does not have', async () => {
      const res = await request(app).options('/thing').set('Origin', APP).set('Access-Control-Request-Method', 'TRACE');
      expect(corsHeaders(res.headers)).toEqual({});
    });

    it('adds nothing but Vary to a request without Origin (same-origin or not a browser)', async () => {
      const res = await request(app).get('/thing').expect(200);
      expect(corsHeaders(res.headers)).toEqual({});
      expect(res.headers.vary).toBe('Origin');
    });
  });

  describe('with * beside a listed origin', () => {
    const app = appWith({ origins: ['*', APP], maxAgeS: 600 });

    it('lets any origin read, with the wildcard and never credentials', async () => {
      const res = await request(app).get('/thing').set('Origin', OTHER).expect(200);
      expect(corsHeaders(res.headers)).toEqual({
        'access-control-allow-origin': '*',
        'access-control-expose-headers': CORS_EXPOSE_HEADERS,
      });
      const preflight = await request(app)
        .options('/thing')
        .set('Origin', OTHER)
        .set('Access-Control-Request-Method', 'GET')
        .expect(204);
      expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD');
      expect(preflight.headers).not.toHaveProperty('access-control-allow-credentials');
    });

    it('keeps writes to the listed origins', async () => {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const preflight = await request(app)
          .options('/thing')
          .set('Origin', OTHER)
          .set('Access-Control-Request-Method', method);
        expect({ method, cors: corsHeaders(preflight.headers) }).toEqual({ method, cors: {} });
      }
      const write = await request(app).post('/thing').set('Origin', OTHER);
      expect(corsHeaders(write.headers)).toEqual({});
      const listed = await request(app).post('/thing').set('Origin', APP);
      expect(listed.headers['access-control-allow-origin']).toBe(APP);
    });
  });
});

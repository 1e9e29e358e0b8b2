import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/ports';
import { ensureStopped, spawnServer, type SpawnedServer } from '../support/spawned-server';

jest.setTimeout(120_000);

let root: string;
let server: SpawnedServer | undefined;

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'aquifer-embedded-'));
  await fsp.chmod(root, 0o755);
});
afterEach(async () => {
  await ensureStopped(server);
  server = undefined;
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

function getJson(port: number, pathname: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('npm start without DATABASE_URL', () => {
  it('runs the embedded PostgreSQL, loads the sample data once, serves it, and stops it last', async () => {
    const dataDir = path.join(root, 'pg');
    const env = async () => ({
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      WEB_CONCURRENCY: '2',
      EMBEDDED_PG_PORT: String(await freePort()),
      EMBEDDED_PG_DATA_DIR: dataDir,
    });

    const first = await env();
    server = spawnServer(first);
    const summary = await server.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'),
      90_000,
    );
    expect(summary.msg).toMatch(
      /PostgreSQL \d+\.\d+ \(embedded\); budget \d+ connections on this host \(auto: max_connections/,
    );
    // A fresh local install cannot write without a key, so the summary says how to make one.
    expect(summary.msg).toContain('writes need an API key: npm run apikey -- create --name me --scope write');
    expect(summary.msg).toContain('loaded sample data: 40 wells, 960 observations, 6 contacts');
    expect(summary).toMatchObject({
      embedded: true,
      workers: 2,
      sampleData: { wells: 40, observations: 960, contacts: 6 },
    });
    const page = await getJson(Number(first.PORT), '/api/v1/wells?limit=5');
    expect(page.status).toBe(200);
    const wells = (page.body as { items: { id: number; site_code: string }[] }).items;
    expect(wells.map((w) => w.site_code)).toEqual([
      'KS-FIN-001',
      'KS-FOR-001',
      'KS-GRY-001',
      'KS-HAS-001',
      'KS-KEA-001',
    ]);

    server.child.kill('SIGTERM');
    expect(await server.waitForExit(30_000)).toEqual({ code: 0, signal: null });
    // The database went down with the primary: no postmaster.pid is left behind.
    expect(fs.existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);

    // A second start reuses the data and does not load the sample again.
    server = spawnServer(await env());
    const again = await server.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('aquifer ready'),
      60_000,
    );
    expect(again).toMatchObject({ sampleData: { wells: 0, observations: 0, contacts: 0 }, migrationsApplied: [] });
    expect(again.msg).not.toContain('loaded sample data');
    expect(again.msg).toContain('npm run apikey -- create');
    server.child.kill('SIGTERM');
    expect(await server.waitForExit(30_000)).toEqual({ code: 0, signal: null });
  });
});

import { createHash } from 'node:crypto';
import request from 'supertest';
import { generateApiKey } from '../../server/auth/keys';
import { bearer, issueKey } from '../support/api-keys';
import { useApiFixture } from '../support/api-fixture';
import { buildTestApp, type TestApp } from '../support/app';
import { logLinesFor, type LogLine } from '../support/log-capture';
import { expectProblem } from '../support/problem-assertions';
import { countRows } from '../support/table-rows';

// The machine is shared and noisy; these bounds only stop a hung test.
jest.setTimeout(120_000);

const TOLERANT = { acquireTimeoutMs: 15_000, statementTimeoutMs: 20_000 } as const;

const t = useApiFixture({ label: 'auth', ...TOLERANT, keys: ['read', 'write', 'admin'] });

let seq = 0;
const newWell = () => ({ site_code: `KS-AUTH-${++seq}`, name: 'Auth test well', latitude: 37.5, longitude: -100.5 });
const postWell = (app: Pick<TestApp, 'app'>, authorization?: string) => {
  const req = request(app.app).post('/api/v1/wells');
  if (authorization !== undefined) req.set('Authorization', authorization);
  return req.send(newWell());
};
const wellCount = () => t.onPool((db) => countRows(db, 'wells'));
const revoke = (key: string) =>
  t.onPool((db) =>
    db.exec({ text: 'UPDATE api_keys SET revoked_at = now() WHERE key_prefix = $1', values: [key.slice(3, 19)] }),
  );

describe('writes', () => {
  it('answer 401 with the bare Bearer challenge when no key is sent, and write nothing', async () => {
    const before = await wellCount();
    const res = await postWell(t);
    expectProblem(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="aquifer"');
    expect(await wellCount()).toBe(before);
  });

  it.each([
    ['an empty Bearer', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a short token', 'Bearer aq_0123'],
    ['two tokens', 'Bearer aq_0123456789abcdef_x y'],
    ['an upper-case prefix', `Bearer aq_0123456789ABCDEF_${'a'.repeat(43)}`],
    ['a 42-character secret', `Bearer aq_0123456789abcdef_${'a'.repeat(42)}`],
  ])('answer 401 invalid_token for a malformed key (%s)', async (_label, header) => {
    const res = await postWell(t, header);
    expectProblem(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="aquifer", error="invalid_token"');
  });

  it('answer 401 invalid_token for a well-formed key the database does not know', async () => {
    const res = await postWell(t, `Bearer ${generateApiKey().key}`);
    expectProblem(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="aquifer", error="invalid_token"');
  });

  it('answer 401 invalid_token for a known prefix with a wrong secret', async () => {
    const forged = `${t.keys.write.slice(0, 20)}${generateApiKey().key.slice(20)}`;
    expect(forged).not.toBe(t.keys.write);
    const res = await postWell(t, `Bearer ${forged}`);
    expectProblem(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('answer 403 insufficient_scope for a read key, and write nothing', async () => {
    const before = await wellCount();
    const res = await postWell(t, `Bearer ${t.keys.read}`);
    expectProblem(res, 403, 'forbidden');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="aquifer", error="insufficient_scope"/);
    expect(await wellCount()).toBe(before);
  });

  it.each(['write', 'admin'] as const)('succeed with a %s key, with the scheme in any case', async (scope) => {
    await postWell(t, `Bearer ${t.keys[scope]}`).expect(201);
    await postWell(t, `bearer ${t.keys[scope]}`).expect(201);
  });

  it('refuse a key at once after it is revoked', async () => {
    const key = await issueKey(t.database, 'write', 'soon-revoked');
    await postWell(t, `Bearer ${key}`).expect(201);
    await revoke(key);
    const res = await postWell(t, `Bearer ${key}`);
    expectProblem(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="aquifer", error="invalid_token"');
    // Reads presenting it are refused too, rather than served anonymously.
    expectProblem(
      await request(t.app)
        .get('/api/v1/wells')
        .set(...bearer(key)),
      401,
      'unauthorized',
    );
  });
});

describe('reads', () => {
  it('are open without a key by default', async () => {
    await request(t.app).get('/api/v1/wells').expect(200);
  });

  it('refuse a bad key even though a read needs none', async () => {
    const res = await request(t.app)
      .get('/api/v1/wells')
      .set(...bearer(generateApiKey().key));
    expectProblem(res, 401, 'unauthorized');
  });

  describe('with READS_REQUIRE_AUTH', () => {
    let closed: TestApp;
    beforeAll(() => {
      closed = buildTestApp(t.database.url, { ...TOLERANT, readsRequireAuth: true, poolSize: 2 });
    });
    afterAll(() => closed.close());

    it('answer 401 without a key', async () => {
      const res = await request(closed.app).get('/api/v1/wells');
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="aquifer"');
      expectProblem(await request(closed.app).get('/api/v1/lexicon'), 401, 'unauthorized');
    });

    it.each(['read', 'write', 'admin'] as const)('succeed with a %s key', async (scope) => {
      await request(closed.app)
        .get('/api/v1/wells')
        .set(...bearer(t.keys[scope]))
        .expect(200);
    });

    it('answer 401 invalid_token for an unknown key', async () => {
      const res = await request(closed.app)
        .get('/api/v1/wells')
        .set(...bearer(generateApiKey().key));
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    });

    it('leave the health probes open', async () => {
      await request(closed.app).get('/livez').expect(200);
    });
  });
});

describe('secrecy', () => {
  it('stores only a 32-byte SHA-256 of the key, never the key or its secret', async () => {
    const key = await issueKey(t.database, 'write', 'stored-check');
    const secret = key.slice(20);
    const row = await t.onPool((db) =>
      db.one<{ key_hash: Buffer; whole_row: string }>({
        text: 'SELECT key_hash, row_to_json(k)::text AS whole_row FROM api_keys k WHERE key_prefix = $1',
        values: [key.slice(3, 19)],
      }),
    );
    expect(row.key_hash).toHaveLength(32);
    expect(row.key_hash.equals(createHash('sha256').update(key).digest())).toBe(true);
    expect(row.whole_row).not.toContain(secret);
    expect(row.whole_row).not.toContain(Buffer.from(secret).toString('hex'));
  });

  it('never writes a key or its secret to the logs, whatever the outcome', async () => {
    const revoked = await issueKey(t.database, 'write', 'logged-revoked');
    await revoke(revoked);
    const presented = [t.keys.read, t.keys.write, t.keys.admin, revoked, generateApiKey().key];
    let n = 0;
    for (const key of presented) {
      for (const send of [
        () => postWell(t, `Bearer ${key}`),
        () =>
          request(t.app)
            .get('/api/v1/wells/abc')
            .set(...bearer(key)),
        () =>
          request(t.app)
            .get('/api/v1/wells?limit=1')
            .set(...bearer(key)),
      ]) {
        await send().set('X-Request-Id', `secret-log-${++n}`);
      }
    }
    // Every request was logged, so there was a line to leak into.
    for (let i = 1; i <= n; i++) {
      const lines = await logLinesFor(t.logs as LogLine[], `secret-log-${i}`, 5_000);
      expect({ i, logged: lines.length }).toEqual({ i, logged: 1 });
    }
    const text = t.logs.map((l) => JSON.stringify(l)).join('\n');
    for (const key of presented) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(20));
    }
  });
});

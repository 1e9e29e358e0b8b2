import type { Express } from 'express';
import type { Scope } from '../../server/auth/keys';
import type { Database, Db } from '../../server/lib/db';
import { issueKey } from './api-keys';
import { buildTestApp, type TestApp, type TestAppOptions } from './app';
import { createTestDatabase, type TestDatabase } from './database';

export interface ApiFixtureOptions<S extends Scope> extends TestAppOptions {
  /** Names the private database: `t_<label>_<random>`. */
  readonly label: string;
  /** One key per scope, issued in this order as `test-<scope>`. */
  readonly keys?: readonly S[];
  /** Bounds the set-up hook (jest's timeout otherwise); it only stops a hung set-up. */
  readonly setupTimeoutMs?: number;
}

export interface ApiFixture<S extends Scope> {
  /** The file's own database, cloned from the migrated template. */
  readonly database: TestDatabase;
  /** The app under test, over `db`. */
  readonly app: Express;
  /** The app's own pool. */
  readonly db: Database;
  /** The app's log lines so far, parsed. */
  readonly logs: TestApp['logs'];
  /** The keys asked for in the options, by scope. */
  readonly keys: Readonly<Record<S, string>>;
  /** Runs set-up or assertion SQL on the app's pool: a fresh connection per statement is too slow on a busy machine. */
  onPool<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Another app over the same database; closed with the fixture, before the database is dropped. */
  extraApp(options: TestAppOptions): TestApp;
}

interface Ready {
  readonly database: TestDatabase;
  readonly main: TestApp;
  /** Only the scopes asked for; `ApiFixture<S>` types it so. */
  readonly keys: Readonly<Record<Scope, string>>;
}

/**
 * Registers beforeAll/afterAll for a private database, the real app over it and
 * the API keys asked for, in the enclosing describe block (or the file). Read
 * the fixture's properties inside hooks and tests: they exist once set-up ran.
 */
export function useApiFixture<S extends Scope = never>(options: ApiFixtureOptions<S>): ApiFixture<S> {
  const { label, keys: scopes = [], setupTimeoutMs, ...appOptions } = options;
  let database: TestDatabase | undefined;
  let ready: Ready | undefined;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(label);
    const main = buildTestApp(database.url, appOptions);
    apps.push(main);
    const keys: Partial<Record<Scope, string>> = {};
    for (const scope of scopes) keys[scope] = await issueKey(database, scope);
    ready = { database, main, keys: keys as Record<Scope, string> };
  }, setupTimeoutMs);

  afterAll(async () => {
    // Every pool ends before the database goes, so no idle client sees its backend killed.
    for (const app of apps) await app.close();
    await database?.drop();
  });

  const get = (): Ready => {
    if (!ready) throw new Error(`useApiFixture(${label}): read before its set-up ran, or after it failed`);
    return ready;
  };
  return {
    get database() {
      return get().database;
    },
    get app() {
      return get().main.app;
    },
    get db() {
      return get().main.db;
    },
    get logs() {
      return get().main.logs;
    },
    get keys() {
      return get().keys;
    },
    onPool: (fn) => fn(get().main.db),
    extraApp: (extraOptions) => {
      const app = buildTestApp(get().database.url, extraOptions);
      apps.push(app);
      return app;
    },
  };
}

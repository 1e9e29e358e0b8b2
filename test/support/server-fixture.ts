import { DEFAULT_SAMPLE_SIZE, loadSampleDataOnce } from '../../server/seed/sample';
import { createTestDatabase, type TestDatabase } from './database';
import { freePort } from './ports';
import { ensureStopped, startReadyServer, type SpawnedServer } from './spawned-server';

export interface ServerFixture {
  /** The file's own database, with the sample data loaded. */
  readonly database: TestDatabase;
  /** Spawns the primary over it on a free loopback port, ready; it is stopped after the test. */
  start(env: Record<string, string>): Promise<{ server: SpawnedServer; port: number }>;
}

/**
 * For process tests: registers beforeAll (a private database with `sampleWells`
 * sample wells), afterEach (stop the servers the test started) and afterAll
 * (drop the database).
 */
export function useServerFixture(label: string, sampleWells: number): ServerFixture {
  let database: TestDatabase | undefined;
  const servers: SpawnedServer[] = [];
  beforeAll(async () => {
    database = await createTestDatabase(label);
    await database.query((db) => loadSampleDataOnce(db, { ...DEFAULT_SAMPLE_SIZE, wells: sampleWells }));
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await ensureStopped(server);
  });
  afterAll(async () => {
    await database?.drop();
  });
  const ready = (): TestDatabase => {
    if (!database) throw new Error(`useServerFixture(${label}): read before its set-up ran, or after it failed`);
    return database;
  };
  return {
    get database() {
      return ready();
    },
    async start(env) {
      const port = await freePort();
      const server = await startReadyServer(ready().url, port, env);
      servers.push(server);
      return { server, port };
    },
  };
}

import type { ServerLimits } from './budget';
import type { Db } from './db';

export interface ServerFacts {
  readonly version: string;
  readonly limits: ServerLimits;
}

interface FactsRow {
  version: string;
  max_connections: number;
  superuser_reserved_connections: number;
  reserved_connections: number;
}

/** Live connection limits; `reserved_connections` exists from PostgreSQL 16 and reads as 0 before. */
export async function readServerFacts(db: Db): Promise<ServerFacts> {
  const row = await db.one<FactsRow>({
    text: `SELECT current_setting('server_version') AS version,
                  current_setting('max_connections')::int AS max_connections,
                  current_setting('superuser_reserved_connections')::int AS superuser_reserved_connections,
                  COALESCE(current_setting('reserved_connections', true), '0')::int AS reserved_connections`,
  });
  return {
    version: row.version,
    limits: {
      maxConnections: row.max_connections,
      superuserReservedConnections: row.superuser_reserved_connections,
      reservedConnections: row.reserved_connections,
    },
  };
}

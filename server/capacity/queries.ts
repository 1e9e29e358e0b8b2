import type { Db } from '../lib/db';
import type { OtherApplication } from './plan';

/**
 * Client connections on the whole server (max_connections is server-wide) by
 * application_name, leaving out aquifer's own (`<APP_NAME>:…`) and this session.
 * Without pg_read_all_stats, other roles' sessions show backend_type NULL but
 * keep their application_name, so NULL counts as a client. A snapshot: an
 * application's pool may grow past what it holds now.
 */
export const findOtherApplications = (db: Db, appName: string) =>
  db.many<OtherApplication>({
    text: `SELECT COALESCE(NULLIF(application_name, ''), '(unnamed)') AS name, count(*)::int AS connections
             FROM pg_stat_activity
            WHERE COALESCE(backend_type, 'client backend') = 'client backend'
              AND usesysid IS NOT NULL
              AND pid <> pg_backend_pid()
              AND NOT starts_with(COALESCE(application_name, ''), $1)
            GROUP BY 1
            ORDER BY 2 DESC, 1`,
    values: [`${appName}:`],
  });

import type { Config } from '../../config';
import type { BudgetPlan } from '../lib/budget';
import type { PreparedDatabase } from '../lib/prepare-database';

/** How to get a key, shown where a fresh local install needs one: nothing can be written without it. */
export const API_KEY_HINT = 'writes need an API key: npm run apikey -- create --name me --scope write';

/** One readable line for operators; the same facts are in the structured fields. */
export function startupSummary(config: Config, prepared: PreparedDatabase, embedded: boolean): string {
  const { plan, facts } = prepared;
  const l = facts.limits;
  const reserved = `max_connections ${l.maxConnections} − superuser_reserved ${l.superuserReservedConnections} − reserved ${l.reservedConnections} − headroom ${config.db.reservedConnections}`;
  const pgbouncer = config.db.pooler === 'pgbouncer';
  const source =
    plan.source === 'auto'
      ? `auto: ${reserved} = ${plan.usable}, ÷ ${config.db.replicas} replica(s)`
      : `DB_CONNECTION_BUDGET=${String(config.db.connectionBudget)}${pgbouncer ? " (PgBouncer's server pool)" : ''} ÷ ${config.db.replicas} replica(s); server allows ${plan.usable}`;
  const where = embedded
    ? 'embedded'
    : pgbouncer
      ? 'DATABASE_URL through PgBouncer, transaction pooling'
      : 'DATABASE_URL';
  const sample = prepared.sampleData;
  return (
    `aquifer ready: PostgreSQL ${facts.version} (${where}); ` +
    `budget ${plan.perHost} connections on this host (${source}); ` +
    `${plan.shares.length} workers; pools ${plan.shares.join('/')}; ` +
    `http://${config.http.host}:${config.http.port}` +
    (sample.wells + sample.observations + sample.contacts > 0
      ? `; loaded sample data: ${sample.wells} wells, ${sample.observations} observations, ${sample.contacts} contacts`
      : '') +
    (embedded ? `; ${API_KEY_HINT}` : '')
  );
}

export function budgetFields(plan: BudgetPlan) {
  return { source: plan.source, usable: plan.usable, perHost: plan.perHost, shares: plan.shares };
}

import type { ApiConfig } from '../config';
import { bulkEndpoints } from './bulk/routes';
import { contactConstraintHints, contactEndpoints } from './contacts/routes';
import { lexiconEndpoints } from './lexicon/routes';
import type { Database } from './lib/db';
import type { Endpoint } from './lib/endpoint';
import type { ConstraintHints } from './lib/problem';
import { observationConstraintHints, observationEndpoints } from './observations/routes';
import { searchEndpoints } from './search/routes';
import { statsEndpoints } from './stats/routes';
import { wellConstraintHints, wellEndpoints } from './wells/routes';

export type BulkLimits = Pick<ApiConfig, 'bulkMaxBytes' | 'bulkStatementTimeoutMs'>;

/** Every operation under /api/v1, in the order the OpenAPI document lists them. */
export function apiEndpoints(db: Database, api: ApiConfig): Endpoint[] {
  return [
    ...wellEndpoints(db),
    ...observationEndpoints(db),
    ...bulkEndpoints(db, api),
    ...contactEndpoints(db),
    ...lexiconEndpoints(db),
    ...searchEndpoints(db),
    ...statsEndpoints(db),
  ];
}

/** Public wording for every named constraint a client can run into, across components. */
export const constraintHints: ConstraintHints = {
  ...wellConstraintHints,
  ...observationConstraintHints,
  ...contactConstraintHints,
};

import type { Db } from '../lib/db';
import { SEED_SCHEDULE, SEED_SERIES, contactsRange, linksForWell, observationPlanFor, wellsRange } from './generate';
import {
  inTransaction,
  insertContacts,
  insertObservations,
  insertWellContactLinks,
  insertWells,
  lockSeeding,
  unlockSeeding,
} from './queries';

export interface SeedSize {
  readonly wells: number;
  readonly observationsPerWell: number;
  readonly contacts: number;
}

export interface SeedCounts {
  wells: number;
  observations: number;
  contacts: number;
  links: number;
}

/** Wells per transaction: big enough to amortise round trips, small enough to keep arrays and locks modest. */
const WELL_BATCH = 2_000;
const CONTACT_BATCH = 5_000;

/** Default contact count when none is given: one per 25 wells, at least one. */
export const defaultContactCount = (wells: number) => Math.max(1, Math.ceil(wells / 25));

/**
 * Adds the seed data set of `size`; rows already present (an earlier run) are
 * skipped, so a re-run adds nothing. `db` must be a single connection. Each
 * batch commits on its own, so an interrupted run can simply be repeated.
 */
export async function seedDatabase(
  db: Db,
  size: SeedSize,
  onBatch: (done: number, counts: SeedCounts) => void = () => undefined,
): Promise<SeedCounts> {
  const counts: SeedCounts = { wells: 0, observations: 0, contacts: 0, links: 0 };
  await lockSeeding(db);
  try {
    for (let start = 0; start < size.contacts; start += CONTACT_BATCH) {
      const batch = contactsRange(SEED_SERIES, start, Math.min(CONTACT_BATCH, size.contacts - start));
      counts.contacts += await insertContacts(db, batch);
    }
    for (let start = 0; start < size.wells; start += WELL_BATCH) {
      const indexes = Array.from({ length: Math.min(WELL_BATCH, size.wells - start) }, (_, i) => start + i);
      await inTransaction(db, async () => {
        counts.wells += await insertWells(db, wellsRange(SEED_SERIES, start, indexes.length));
        if (size.observationsPerWell > 0) {
          counts.observations += await insertObservations(
            db,
            indexes.map((i) => observationPlanFor(SEED_SERIES, i)),
            { ...SEED_SCHEDULE, perWell: size.observationsPerWell },
          );
        }
        counts.links += await insertWellContactLinks(
          db,
          indexes.flatMap((i) => linksForWell(SEED_SERIES, i, size.contacts)),
        );
      });
      onBatch(start + indexes.length, counts);
    }
    return counts;
  } finally {
    await unlockSeeding(db).catch(() => undefined);
  }
}

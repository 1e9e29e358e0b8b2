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
const WELL_BATCH = 1_000;
const CONTACT_BATCH = 5_000;

/** Default contact count when none is given: one per 25 wells, at least one. */
export const defaultContactCount = (wells: number) => Math.max(1, Math.ceil(wells / 25));

/** Inserts one batch of wells with their readings and contact links, in one transaction on `db`. */
async function seedWellBatch(db: Db, size: SeedSize, start: number, counts: SeedCounts): Promise<number> {
  const indexes = Array.from({ length: Math.min(WELL_BATCH, size.wells - start) }, (_, i) => start + i);
  // Counts are added only after each await: `counts.x += await …` would read counts.x before
  // the await and lose what another connection added meanwhile.
  const added = await inTransaction(db, async () => {
    const wells = await insertWells(db, wellsRange(SEED_SERIES, start, indexes.length));
    const observations =
      size.observationsPerWell > 0
        ? await insertObservations(
            db,
            indexes.map((i) => observationPlanFor(SEED_SERIES, i)),
            { ...SEED_SCHEDULE, perWell: size.observationsPerWell },
          )
        : 0;
    const links = await insertWellContactLinks(
      db,
      indexes.flatMap((i) => linksForWell(SEED_SERIES, i, size.contacts)),
    );
    return { wells, observations, links };
  });
  counts.wells += added.wells;
  counts.observations += added.observations;
  counts.links += added.links;
  return indexes.length;
}

/**
 * Adds the seed data set of `size`; rows already present (an earlier run) are
 * skipped, so a re-run adds nothing. Each entry of `dbs` must be a single
 * connection; the first holds the seeding lock and adds the contacts, then all
 * of them take well batches from one queue, so the server uses as many cores as
 * there are connections. Batches touch disjoint wells, so they never wait on each
 * other, and each commits on its own: an interrupted run can simply be repeated.
 */
export async function seedDatabase(
  dbs: readonly [Db, ...Db[]],
  size: SeedSize,
  onBatch: (done: number, counts: SeedCounts) => void = () => undefined,
): Promise<SeedCounts> {
  const counts: SeedCounts = { wells: 0, observations: 0, contacts: 0, links: 0 };
  const [first] = dbs;
  await lockSeeding(first);
  try {
    for (let start = 0; start < size.contacts; start += CONTACT_BATCH) {
      const batch = contactsRange(SEED_SERIES, start, Math.min(CONTACT_BATCH, size.contacts - start));
      const added = await insertContacts(first, batch);
      counts.contacts += added;
    }
    let nextStart = 0;
    let done = 0;
    let failed = false;
    const takeBatches = async (db: Db) => {
      while (!failed && nextStart < size.wells) {
        const start = nextStart;
        nextStart += WELL_BATCH;
        try {
          const wells = await seedWellBatch(db, size, start, counts);
          done += wells;
        } catch (err) {
          failed = true; // the other connections finish their current batch and stop
          throw err;
        }
        onBatch(done, counts);
      }
    };
    // allSettled: a failed connection must not leave the others' transactions running after we return.
    const results = await Promise.allSettled(dbs.map(takeBatches));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    return counts;
  } finally {
    await unlockSeeding(first).catch(() => undefined);
  }
}

import type { Db } from '../lib/db';
import {
  SAMPLE_SCHEDULE,
  SAMPLE_SERIES,
  contactsRange,
  linksForWell,
  observationPlanFor,
  wellsRange,
} from './generate';
import {
  claimMarker,
  inTransaction,
  insertContacts,
  insertObservations,
  insertWellContactLinks,
  insertWells,
} from './queries';

export interface SampleDataSize {
  readonly wells: number;
  readonly observationsPerWell: number;
  readonly contacts: number;
}

/** What a load added; all zero when the sample had been loaded before. */
export interface SampleDataCounts {
  readonly wells: number;
  readonly observations: number;
  readonly contacts: number;
}

export const DEFAULT_SAMPLE_SIZE: SampleDataSize = { wells: 40, observationsPerWell: 24, contacts: 6 };
export const NO_SAMPLE_DATA: SampleDataCounts = { wells: 0, observations: 0, contacts: 0 };

/** Marker name kept from when the sample was wells only, so a database loaded then is not loaded again. */
const SAMPLE_MARKER = 'sample-wells';

/**
 * Loads the sample (wells, monthly readings, contacts and their links) unless
 * it was loaded before. The marker and the rows commit together, so it happens
 * exactly once even when hosts start at the same time: a second claimant waits
 * on the marker row and then finds it taken. `db` must be a single connection.
 */
export async function loadSampleDataOnce(
  db: Db,
  size: SampleDataSize = DEFAULT_SAMPLE_SIZE,
): Promise<SampleDataCounts> {
  return inTransaction(db, async () => {
    if (!(await claimMarker(db, SAMPLE_MARKER))) return NO_SAMPLE_DATA;
    const wells = await insertWells(db, wellsRange(SAMPLE_SERIES, 0, size.wells));
    const indexes = Array.from({ length: size.wells }, (_, i) => i);
    const observations = await insertObservations(
      db,
      indexes.map((i) => observationPlanFor(SAMPLE_SERIES, i)),
      { ...SAMPLE_SCHEDULE, perWell: size.observationsPerWell },
    );
    const contacts = await insertContacts(db, contactsRange(SAMPLE_SERIES, 0, size.contacts));
    await insertWellContactLinks(
      db,
      indexes.flatMap((i) => linksForWell(SAMPLE_SERIES, i, size.contacts)),
    );
    return { wells, observations, contacts };
  });
}

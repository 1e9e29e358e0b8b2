/**
 * `npm run seed -- --wells N --observations-per-well M [--contacts K] [--json]`:
 * adds a deterministic data set (the same arguments give the same rows) and
 * reports what it added and how fast. A re-run adds nothing.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { MAX_SERIES_WELLS } from '../server/seed/generate';
import { defaultContactCount, seedDatabase, type SeedSize } from '../server/seed/seed';
import { runScript, UsageError, withScriptDatabase } from './script-database';

const MAX_OBSERVATIONS_PER_WELL = 10_000;
const MAX_CONTACTS = 1_000_000;

const MAX_JOBS = 16;
/** One connection per core here, capped: the database is usually on this machine (embedded) or no bigger. */
const DEFAULT_JOBS = Math.min(4, availableParallelism());

const USAGE = `usage: npm run seed -- --wells N --observations-per-well M [--contacts K] [--jobs J] [--json]
  --wells N                   wells SEED-0000001 … (1 to ${MAX_SERIES_WELLS})
  --observations-per-well M   weekly readings per well ending 2025-12-29 (0 to ${MAX_OBSERVATIONS_PER_WELL})
  --contacts K                contacts linked to the wells (0 to ${MAX_CONTACTS}; default one per 25 wells)
  --jobs J                    database connections inserting in parallel (1 to ${MAX_JOBS}; default ${DEFAULT_JOBS})
  --json                      print the result as JSON
`;

function wholeNumber(option: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined) throw new UsageError(`--${option} is required`);
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`--${option} must be a whole number from ${min} to ${max}`);
  return value;
}

function parseSeedArgs(args: string[]): SeedSize & { jobs: number; json: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        wells: { type: 'string' },
        'observations-per-well': { type: 'string' },
        contacts: { type: 'string' },
        jobs: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const wells = wholeNumber('wells', values.wells, 1, MAX_SERIES_WELLS);
  return {
    wells,
    observationsPerWell: wholeNumber(
      'observations-per-well',
      values['observations-per-well'],
      0,
      MAX_OBSERVATIONS_PER_WELL,
    ),
    contacts:
      values.contacts === undefined
        ? defaultContactCount(wells)
        : wholeNumber('contacts', values.contacts, 0, MAX_CONTACTS),
    jobs: values.jobs === undefined ? DEFAULT_JOBS : wholeNumber('jobs', values.jobs, 1, MAX_JOBS),
    json: values.json === true,
  };
}

async function main(): Promise<number> {
  const { json, jobs, ...size } = parseSeedArgs(process.argv.slice(2));
  return withScriptDatabase('seed', (db, _logger, _applied, more) =>
    more(jobs - 1, async (others) => {
      const started = process.hrtime.bigint();
      let lastReport = 0;
      const counts = await seedDatabase([db, ...others], size, (done, soFar) => {
        if (json || Date.now() - lastReport < 2_000 || done === size.wells) return;
        lastReport = Date.now();
        process.stderr.write(`  ${done}/${size.wells} wells processed, ${soFar.observations} observations added\n`);
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rows = counts.wells + counts.observations + counts.contacts + counts.links;
      const rowsPerSecond = Math.round(rows / Math.max(seconds, 1e-3));
      const result = { requested: size, added: counts, seconds: Math.round(seconds * 1000) / 1000, rowsPerSecond };
      process.stdout.write(
        json
          ? `${JSON.stringify(result)}\n`
          : `Seeded ${size.wells} wells × ${size.observationsPerWell} observations, ${size.contacts} contacts: ` +
              `added ${counts.wells} wells, ${counts.observations} observations, ${counts.contacts} contacts, ` +
              `${counts.links} well-contact links in ${result.seconds} s (${rowsPerSecond} rows/s)\n`,
      );
      return 0;
    }),
  );
}

runScript(main, USAGE);

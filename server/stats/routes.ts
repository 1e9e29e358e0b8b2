import type { Database } from '../lib/db';
import { endpoint, type Endpoint } from '../lib/endpoint';
import { sendJson } from '../lib/respond';
import { countyStats, type CountyStatsRow } from './queries';
import { countyStatsList } from './schema';

const toCountyStatsDto = (row: CountyStatsRow) => ({
  county: row.county,
  well_count: Number(row.well_count),
  observation_count: Number(row.observation_count),
  latest_mean_depth_ft: row.latest_mean_depth_ft,
});

export function statsEndpoints(db: Database): Endpoint[] {
  return [
    endpoint({
      operationId: 'getCountyStats',
      method: 'get',
      path: '/stats/counties',
      tag: 'statistics',
      summary: 'Wells, observations and the latest mean depth to water, per county',
      description:
        'One item per county as recorded (exact spelling), ordered by county, with wells that have no county last under county null.',
      scope: 'read',
      responses: { 200: { description: 'Every county with at least one well', schema: countyStatsList } },
      async handle(_input, _req, res) {
        const rows = await countyStats(db);
        sendJson(res, { items: rows.map(toCountyStatsDto) });
      },
    }),
  ];
}

import type { Database } from '../lib/db';
import { decodeCursor, encodeCursor } from '../lib/cursor';
import { endpoint, type Endpoint } from '../lib/endpoint';
import { NotFound, ValidationFailed } from '../lib/errors';
import type { ConstraintHints } from '../lib/problem';
import { sendJson } from '../lib/respond';
import { wellIdParams } from '../wells/schema';
import { wellExists } from '../wells/queries';
import {
  deleteObservation,
  findObservation,
  insertObservation,
  listObservations,
  summarizeWell,
  type ObservationRow,
  type WellSummaryRow,
} from './queries';
import {
  listObservationsNormalization,
  listObservationsQuery,
  newObservationBody,
  newObservationNormalization,
  observationDto,
  observationIdParams,
  observationPage,
  observationsCursor,
  wellSummaryDto,
} from './schema';

/** Public wording for the observation constraints a client can run into. */
export const observationConstraintHints: ConstraintHints = {
  observations_well_instant_key: {
    path: 'body.observed_at',
    message: 'this well already has an observation at this instant',
  },
};

export const toObservationDto = (row: ObservationRow) => ({
  id: Number(row.id),
  well_id: Number(row.well_id),
  observed_at: row.observed_at.toISOString(),
  depth_to_water_ft: row.depth_to_water_ft,
  method: row.method,
  data_quality: row.data_quality,
  observer: row.observer,
  notes: row.notes,
  created_at: row.created_at.toISOString(),
});

const toSummaryDto = (row: WellSummaryRow) => ({
  well_id: Number(row.well_id),
  count: Number(row.count),
  first_observed_at: row.first_observed_at?.toISOString() ?? null,
  last_observed_at: row.last_observed_at?.toISOString() ?? null,
  min_depth_ft: row.min_depth_ft,
  max_depth_ft: row.max_depth_ft,
  mean_depth_ft: row.mean_depth_ft,
  trend_ft_per_year: row.trend_ft_per_year,
});

export function observationEndpoints(db: Database): Endpoint[] {
  return [
    endpoint({
      operationId: 'listWellObservations',
      method: 'get',
      path: '/wells/:id/observations',
      tag: 'observations',
      summary: 'A well’s observations in time order, a page at a time',
      description:
        'Ascending by observed_at. `from` is inclusive and `to` exclusive; rows inserted behind the cursor while paging are not shown, rows ahead of it are, and none is served twice.',
      scope: 'read',
      params: wellIdParams,
      query: listObservationsQuery,
      normalize: { query: listObservationsNormalization },
      responses: { 200: { description: 'A page of observations', schema: observationPage } },
      errors: [404],
      async handle({ params, query }, _req, res) {
        const { limit, cursor, from = null, to = null } = query;
        if (from !== null && to !== null && from > to) {
          throw new ValidationFailed([{ path: 'query.from', message: 'from must not be later than to' }]);
        }
        const after = cursor === undefined ? null : decodeCursor(cursor, observationsCursor).after;
        const rows = await listObservations(db, params.id, { from, to, after }, limit);
        // An empty page is ambiguous: only then ask whether the well exists.
        if (rows.length === 0 && !(await wellExists(db, params.id))) throw new NotFound('well', params.id);
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        sendJson(res, {
          items: page.map(toObservationDto),
          next_cursor: rows.length > limit && last ? encodeCursor({ after: last.observed_at.toISOString() }) : null,
        });
      },
    }),
    endpoint({
      operationId: 'createObservation',
      method: 'post',
      path: '/wells/:id/observations',
      tag: 'observations',
      summary: 'Record a water-level observation for a well',
      description:
        'One observation per well per instant: a second one at the same observed_at is a 409. Vocabulary fields are canonicalised ("Steel Tape" → steel-tape).',
      scope: 'write',
      params: wellIdParams,
      body: newObservationBody,
      normalize: { body: newObservationNormalization },
      responses: { 201: { description: 'Created; Location names the new observation', schema: observationDto } },
      errors: [404, 409, 413, 415, 422],
      async handle({ params, body }, req, res) {
        const row = await insertObservation(db, params.id, body);
        if (!row) throw new NotFound('well', params.id);
        res.location(`${req.baseUrl}/observations/${row.id}`);
        sendJson(res, toObservationDto(row), 201);
      },
    }),
    endpoint({
      operationId: 'getObservation',
      method: 'get',
      path: '/observations/:id',
      tag: 'observations',
      summary: 'One observation',
      scope: 'read',
      params: observationIdParams,
      responses: { 200: { description: 'The observation', schema: observationDto } },
      errors: [404],
      async handle({ params }, _req, res) {
        const row = await findObservation(db, params.id);
        if (!row) throw new NotFound('observation', params.id);
        sendJson(res, toObservationDto(row));
      },
    }),
    endpoint({
      operationId: 'deleteObservation',
      method: 'delete',
      path: '/observations/:id',
      tag: 'observations',
      summary: 'Delete an observation',
      scope: 'write',
      params: observationIdParams,
      responses: { 204: { description: 'Deleted' } },
      errors: [404],
      async handle({ params }, _req, res) {
        if ((await deleteObservation(db, params.id)) === 0) throw new NotFound('observation', params.id);
        res.status(204).end();
      },
    }),
    endpoint({
      operationId: 'getWellSummary',
      method: 'get',
      path: '/wells/:id/summary',
      tag: 'observations',
      summary: 'Count, range, mean and trend of a well’s water levels',
      description:
        'Over all of the well’s observations. With none, count is 0 and every other figure null; the trend needs at least two.',
      scope: 'read',
      params: wellIdParams,
      responses: { 200: { description: 'The summary', schema: wellSummaryDto } },
      errors: [404],
      async handle({ params }, _req, res) {
        const row = await summarizeWell(db, params.id);
        if (!row) throw new NotFound('well', params.id);
        sendJson(res, toSummaryDto(row));
      },
    }),
  ];
}

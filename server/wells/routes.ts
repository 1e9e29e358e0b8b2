import type { Database } from '../lib/db';
import { decodeCursor, encodeCursor } from '../lib/cursor';
import { endpoint, type Endpoint } from '../lib/endpoint';
import { AppError, NotFound } from '../lib/errors';
import type { ConstraintHints } from '../lib/problem';
import { sendJson } from '../lib/respond';
import {
  deleteObservationsOfWell,
  deleteWell,
  findWell,
  hasObservations,
  insertWell,
  listWells,
  updateWell,
  type WellRow,
} from './queries';
import {
  deleteWellQuery,
  listWellsNormalization,
  listWellsQuery,
  newWellBody,
  newWellNormalization,
  wellDto,
  wellIdParams,
  wellPage,
  wellPatchBody,
  wellsCursor,
} from './schema';

/** Public wording for the wells constraints a client can run into. */
export const wellConstraintHints: ConstraintHints = {
  wells_site_code_key: { path: 'body.site_code', message: 'a well with this site_code already exists' },
};

export const toWellDto = (row: WellRow) => ({
  id: Number(row.id),
  site_code: row.site_code,
  name: row.name,
  status: row.status,
  type: row.type,
  county: row.county,
  latitude: row.latitude,
  longitude: row.longitude,
  elevation_ft: row.elevation_ft,
  well_depth_ft: row.well_depth_ft,
  construction_date: row.construction_date,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

class WellHasObservations extends AppError {
  constructor(id: string) {
    super({
      code: 'well-has-observations',
      status: 409,
      title: 'Conflict',
      detail: `well ${id} still has observations; delete them first or pass cascade=true`,
      errors: [{ path: 'query.cascade', message: 'pass cascade=true to delete the well with its observations' }],
    });
  }
}

export function wellEndpoints(db: Database): Endpoint[] {
  return [
    endpoint({
      operationId: 'listWells',
      method: 'get',
      path: '/wells',
      tag: 'wells',
      summary: 'List wells in id order, filtered, a page at a time',
      scope: 'read',
      query: listWellsQuery,
      normalize: { query: listWellsNormalization },
      responses: { 200: { description: 'A page of wells', schema: wellPage } },
      errors: [422],
      async handle({ query }, _req, res) {
        const { limit, cursor, ...filters } = query;
        const afterId = cursor === undefined ? null : decodeCursor(cursor, wellsCursor).after_id;
        const rows = await listWells(db, filters, limit, afterId);
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        sendJson(res, {
          items: page.map(toWellDto),
          next_cursor: rows.length > limit && last ? encodeCursor({ after_id: last.id }) : null,
        });
      },
    }),
    endpoint({
      operationId: 'getWell',
      method: 'get',
      path: '/wells/:id',
      tag: 'wells',
      summary: 'One well',
      scope: 'read',
      params: wellIdParams,
      responses: { 200: { description: 'The well', schema: wellDto } },
      errors: [404],
      async handle({ params }, _req, res) {
        const well = await findWell(db, params.id);
        if (!well) throw new NotFound('well', params.id);
        sendJson(res, toWellDto(well));
      },
    }),
    endpoint({
      operationId: 'createWell',
      method: 'post',
      path: '/wells',
      tag: 'wells',
      summary: 'Create a well',
      scope: 'write',
      body: newWellBody,
      normalize: { body: newWellNormalization },
      responses: { 201: { description: 'Created; Location names the new well', schema: wellDto } },
      errors: [409, 413, 415, 422],
      async handle({ body }, req, res) {
        const well = await insertWell(db, body);
        res.location(`${req.baseUrl}/wells/${well.id}`);
        sendJson(res, toWellDto(well), 201);
      },
    }),
    endpoint({
      operationId: 'updateWell',
      method: 'patch',
      path: '/wells/:id',
      tag: 'wells',
      summary: 'Change some fields of a well',
      description: 'Only the fields sent change; null clears an optional field; unknown fields are rejected.',
      scope: 'write',
      params: wellIdParams,
      body: wellPatchBody,
      normalize: { body: newWellNormalization },
      responses: { 200: { description: 'The updated well', schema: wellDto } },
      errors: [404, 409, 413, 415, 422],
      async handle({ params, body }, _req, res) {
        const well = await updateWell(db, params.id, body);
        if (!well) throw new NotFound('well', params.id);
        sendJson(res, toWellDto(well));
      },
    }),
    endpoint({
      operationId: 'deleteWell',
      method: 'delete',
      path: '/wells/:id',
      tag: 'wells',
      summary: 'Delete a well',
      description:
        'Refused with 409 while observations refer to the well, unless cascade=true, which deletes them in the same transaction. Contact links always go with the well.',
      scope: 'write',
      params: wellIdParams,
      query: deleteWellQuery,
      responses: { 204: { description: 'Deleted' } },
      errors: [404, 409],
      async handle({ params, query }, _req, res) {
        await db.withTransaction(async (tx) => {
          if (query.cascade) await deleteObservationsOfWell(tx, params.id);
          else if (await hasObservations(tx, params.id)) throw new WellHasObservations(params.id);
          if ((await deleteWell(tx, params.id)) === 0) throw new NotFound('well', params.id);
        });
        res.status(204).end();
      },
    }),
  ];
}

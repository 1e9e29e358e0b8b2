import { Router } from 'express';
import type { Db } from '../lib/db';
import { decodeCursor, encodeCursor } from '../lib/cursor';
import { NotFound } from '../lib/errors';
import { normalizePayload } from '../lib/normalize';
import type { ConstraintHints } from '../lib/problem';
import { validate } from '../lib/validate';
import { findWell, insertWell, listWells, type WellRow } from './queries';
import { listWellsQuery, newWellBody, newWellNormalization, wellIdParams, wellsCursor } from './schema';

/** Public wording for the wells constraints a client can run into. */
export const wellConstraintHints: ConstraintHints = {
  wells_site_code_key: { path: 'body.site_code', message: 'a well with this site_code already exists' },
};

export const toWellDto = (row: WellRow) => ({
  id: Number(row.id),
  site_code: row.site_code,
  name: row.name,
  status: row.status,
  county: row.county,
  latitude: row.latitude,
  longitude: row.longitude,
  well_depth_ft: row.well_depth_ft,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

export function wellsRouter(db: Db): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const { limit, cursor } = validate(listWellsQuery, req.query, 'query');
    const afterId = cursor === undefined ? null : decodeCursor(cursor, wellsCursor).after_id;
    const rows = await listWells(db, limit, afterId);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    res.json({
      items: page.map(toWellDto),
      next_cursor: rows.length > limit && last ? encodeCursor({ after_id: last.id }) : null,
    });
  });

  router.get('/:id', async (req, res) => {
    const { id } = validate(wellIdParams, req.params, 'params');
    const well = await findWell(db, id);
    if (!well) throw new NotFound('well', id);
    res.json(toWellDto(well));
  });

  router.post('/', async (req, res) => {
    const body = validate(newWellBody, normalizePayload(req.body, newWellNormalization), 'body');
    const well = await insertWell(db, body);
    res.status(201).location(`${req.baseUrl}/${well.id}`).json(toWellDto(well));
  });

  return router;
}

import Joi from 'joi';
import { bigintId, idParams } from '../lib/ids';
import { termSchema, type Term } from '../lexicon/vocabularies';
import type { NormalizationSpec } from '../lib/normalize';
import { isoDate, pageLimit, pageCursor } from '../lib/common-schemas';

export type WellStatus = Term<'well_status'>;
export type WellType = Term<'well_type'>;

export const wellIdParams = idParams<{ id: string }>({ id: 'Well id' });

/** minLon,minLat,maxLon,maxLat; minLon > maxLon means the box crosses the antimeridian. */
export type BoundingBox = readonly [number, number, number, number];

const bbox = Joi.string()
  .max(200)
  .custom((value: string, helpers) => {
    const parts = value.split(',').map((p) => (/^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(p) ? Number(p) : NaN));
    const [minLon, minLat, maxLon, maxLat] = parts as [number, number, number, number];
    const lonOk = (x: number) => x >= -180 && x <= 180;
    const latOk = (y: number) => y >= -90 && y <= 90;
    if (parts.length !== 4 || !lonOk(minLon) || !lonOk(maxLon) || !latOk(minLat) || !latOk(maxLat) || minLat > maxLat) {
      return helpers.error('any.invalid');
    }
    return [minLon, minLat, maxLon, maxLat] as BoundingBox;
  })
  .messages({
    'any.invalid':
      '{{#label}} must be minLon,minLat,maxLon,maxLat in degrees with minLat ≤ maxLat (minLon > maxLon crosses the antimeridian)',
  })
  .description('Bounding box minLon,minLat,maxLon,maxLat (WGS 84 degrees)')
  .example('-101.5,37,-99.5,39');

export interface WellFilters {
  county?: string;
  status?: WellStatus;
  type?: WellType;
  bbox?: BoundingBox;
}

export const listWellsQuery = Joi.object<WellFilters & { limit: number; cursor?: string }>({
  limit: pageLimit,
  cursor: pageCursor,
  county: Joi.string().min(1).max(100).description('County name, matched without regard to case'),
  status: termSchema('well_status'),
  type: termSchema('well_type'),
  bbox,
});

export const listWellsNormalization: NormalizationSpec = { county: 'text', status: 'term', type: 'term' };

/** What a keyset cursor over wells carries. */
export const wellsCursor = Joi.object<{ after_id: string }>({ after_id: bigintId.required() });

export interface NewWell {
  site_code: string;
  name: string;
  status: WellStatus;
  type: WellType;
  county: string | null;
  latitude: number;
  longitude: number;
  elevation_ft: number | null;
  well_depth_ft: number | null;
  construction_date: string | null;
}

/** Every writable field once; creation and PATCH differ only in which are required and defaulted. */
const fields = {
  site_code: Joi.string()
    .min(1)
    .max(64)
    .pattern(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/)
    .messages({ 'string.pattern.base': '{{#label}} may contain letters, digits, ".", "_", "-" and "/"' })
    .description('Unique site identifier'),
  name: Joi.string().min(1).max(200),
  status: termSchema('well_status'),
  type: termSchema('well_type'),
  county: Joi.string().min(1).max(100).allow(null),
  latitude: Joi.number().min(-90).max(90).description('WGS 84 degrees'),
  longitude: Joi.number().min(-180).max(180).description('WGS 84 degrees'),
  elevation_ft: Joi.number().min(-1500).max(30000).allow(null).description('Land-surface elevation, feet'),
  well_depth_ft: Joi.number().greater(0).less(100_000).allow(null).description('Total depth, feet'),
  construction_date: isoDate.allow(null),
};

export const newWellBody = Joi.object<NewWell>({
  site_code: fields.site_code.required(),
  name: fields.name.required(),
  status: fields.status.default('unknown'),
  type: fields.type.default('unknown'),
  county: fields.county.default(null),
  latitude: fields.latitude.required(),
  longitude: fields.longitude.required(),
  elevation_ft: fields.elevation_ft.default(null),
  well_depth_ft: fields.well_depth_ft.default(null),
  construction_date: fields.construction_date.default(null),
})
  .required()
  .label('body')
  // Whole-body examples become the request's example in the OpenAPI document; a test sends each one.
  .example({
    site_code: 'KS-FIN-0042',
    name: 'Garden City NW monitoring well',
    status: 'active',
    type: 'monitoring',
    county: 'Finney',
    latitude: 38.0154,
    longitude: -100.9271,
    elevation_ft: 2861.4,
    well_depth_ft: 248,
    construction_date: '1998-06-15',
  } satisfies NewWell);

export type WellPatch = Partial<NewWell>;

export const wellPatchBody = Joi.object<WellPatch>(fields)
  .min(1)
  .required()
  .label('body')
  .messages({ 'object.min': 'the body must change at least one field' })
  .example({ status: 'inactive', well_depth_ft: 252.5 } satisfies WellPatch);

export const newWellNormalization: NormalizationSpec = {
  site_code: 'text',
  name: 'text',
  status: 'term',
  type: 'term',
  county: 'text',
  latitude: 'number',
  longitude: 'number',
  elevation_ft: 'number',
  well_depth_ft: 'number',
  construction_date: 'date',
};

export const deleteWellQuery = Joi.object<{ cascade: boolean }>({
  cascade: Joi.boolean().default(false).description('Also delete the well’s observations'),
});

const timestamps = {
  created_at: Joi.string().isoDate().required(),
  updated_at: Joi.string().isoDate().required(),
};

export const wellDto = Joi.object({
  id: Joi.number().integer().required(),
  ...Object.fromEntries(Object.entries(fields).map(([k, s]) => [k, s.required()])),
  ...timestamps,
}).label('Well');

export const wellPage = Joi.object({
  items: Joi.array().items(wellDto).required(),
  next_cursor: Joi.string().allow(null).required(),
}).label('WellPage');

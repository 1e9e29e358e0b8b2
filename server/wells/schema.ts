import Joi from 'joi';
import { bigintId } from '../lib/ids';
import type { NormalizationSpec } from '../lib/normalize';

export const WELL_STATUSES = ['active', 'inactive', 'destroyed', 'unknown'] as const;
export type WellStatus = (typeof WELL_STATUSES)[number];

export const wellIdParams = Joi.object<{ id: string }>({ id: bigintId.required() });

export const listWellsQuery = Joi.object<{ limit: number; cursor?: string }>({
  limit: Joi.number().integer().min(1).max(500).default(50),
  cursor: Joi.string().max(512),
});

/** What a keyset cursor over wells carries. */
export const wellsCursor = Joi.object<{ after_id: string }>({ after_id: bigintId.required() });

export interface NewWell {
  site_code: string;
  name: string;
  status: WellStatus;
  county: string | null;
  latitude: number;
  longitude: number;
  well_depth_ft: number | null;
}

export const newWellBody = Joi.object<NewWell>({
  site_code: Joi.string()
    .min(1)
    .max(64)
    .pattern(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/)
    .required()
    .messages({ 'string.pattern.base': '{{#label}} may contain letters, digits, ".", "_", "-" and "/"' }),
  name: Joi.string().min(1).max(200).required(),
  status: Joi.string()
    .valid(...WELL_STATUSES)
    .default('unknown'),
  county: Joi.string().min(1).max(100).allow(null).default(null),
  latitude: Joi.number().min(-90).max(90).required(),
  longitude: Joi.number().min(-180).max(180).required(),
  well_depth_ft: Joi.number().greater(0).less(100_000).allow(null).default(null),
})
  .required()
  .label('body');

export const newWellNormalization: NormalizationSpec = {
  site_code: 'text',
  name: 'text',
  status: 'term',
  county: 'text',
  latitude: 'number',
  longitude: 'number',
  well_depth_ft: 'number',
};

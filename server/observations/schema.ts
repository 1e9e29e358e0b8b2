import Joi from 'joi';
import { isoTimestamp, pageCursor, pageLimit } from '../lib/common-schemas';
import { idParams } from '../lib/ids';
import { toIsoTimestamp, type NormalizationSpec } from '../lib/normalize';
import { termSchema, type Term } from '../lexicon/vocabularies';

export const observationIdParams = idParams<{ id: string }>({ id: 'Observation id' });

const EARLIEST_INSTANT = '1800-01-01T00:00:00.000Z';
const MAX_AHEAD_MS = 86_400_000;
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** When a reading was taken: zoned, from 1800 up to one day ahead of the server's clock (clock skew, time zones). */
export const observedAt = isoTimestamp
  .custom((value: string, helpers) => {
    // A malformed value is the pattern rule's to report; comparing it would add a second, misleading error.
    if (!ISO_UTC_MS.test(value)) return value;
    const latest = new Date(Date.now() + MAX_AHEAD_MS).toISOString();
    return value >= EARLIEST_INSTANT && value <= latest ? value : helpers.error('any.invalid');
  })
  .messages({ 'any.invalid': '{{#label}} must lie between 1800-01-01 and one day from now' });

/**
 * A query-string instant. In a URL query an unencoded "+" decodes to a space,
 * so "…T08:00:00 02:00" is read as the +02:00 offset the client wrote.
 */
const queryInstant = Joi.string()
  .max(64)
  .custom((value: string, helpers) => {
    const fromPlus = toIsoTimestamp(value.replace(/ (\d{2}(?::?\d{2})?)$/, '+$1'));
    const iso = toIsoTimestamp(value) ?? fromPlus;
    return iso ?? helpers.error('any.invalid');
  })
  .messages({ 'any.invalid': '{{#label}} must be an ISO 8601 timestamp with a zone, e.g. 2024-05-01T14:30:00Z' })
  .description('ISO 8601 timestamp with Z or an offset (encode "+" as %2B)')
  .example('2024-05-01T14:30:00Z');

export interface ListObservationsQuery {
  limit: number;
  cursor?: string;
  from?: string;
  to?: string;
}

export const listObservationsQuery = Joi.object<ListObservationsQuery>({
  limit: pageLimit,
  cursor: pageCursor,
  from: queryInstant.description('Earliest observed_at included'),
  to: queryInstant.description('observed_at before which the list stops (exclusive)'),
});

export const listObservationsNormalization: NormalizationSpec = { from: 'timestamp', to: 'timestamp' };

/** What a keyset cursor over one well's observations carries: the last observed_at served. */
export const observationsCursor = Joi.object<{ after: string }>({ after: isoTimestamp.required() });

export interface NewObservation {
  observed_at: string;
  depth_to_water_ft: number;
  method: Term<'measurement_method'>;
  data_quality: Term<'data_quality'>;
  observer: string | null;
  notes: string | null;
}

const fields = {
  observed_at: observedAt.description('When the reading was taken'),
  depth_to_water_ft: Joi.number()
    .greater(-1000)
    .less(100_000)
    .description('Depth to water below land surface, feet; negative means above land surface'),
  method: termSchema('measurement_method'),
  data_quality: termSchema('data_quality'),
  observer: Joi.string().min(1).max(200).allow(null).description('Who took the reading'),
  notes: Joi.string().min(1).max(2000).allow(null),
};

export const newObservationBody = Joi.object<NewObservation>({
  observed_at: fields.observed_at.required(),
  depth_to_water_ft: fields.depth_to_water_ft.required(),
  method: fields.method.default('unknown'),
  data_quality: fields.data_quality.default('provisional'),
  observer: fields.observer.default(null),
  notes: fields.notes.default(null),
})
  .required()
  .label('body')
  // As a client sends it: a local offset (Kansas, CST) that normalization turns into UTC.
  .example({
    observed_at: '2025-01-14T10:45:00-06:00',
    depth_to_water_ft: 187.42,
    method: 'electric-tape',
    data_quality: 'provisional',
    observer: 'J. Alvarez',
    notes: 'Annual winter measurement; pump off 24 h',
  } satisfies NewObservation);

export const newObservationNormalization: NormalizationSpec = {
  observed_at: 'timestamp',
  depth_to_water_ft: 'number',
  method: 'term',
  data_quality: 'term',
  observer: 'text',
  notes: 'text',
};

export const observationDto = Joi.object({
  id: Joi.number().integer().required(),
  well_id: Joi.number().integer().required(),
  observed_at: Joi.string().isoDate().required(),
  depth_to_water_ft: fields.depth_to_water_ft.required(),
  method: fields.method.required(),
  data_quality: fields.data_quality.required(),
  observer: fields.observer.required(),
  notes: fields.notes.required(),
  created_at: Joi.string().isoDate().required(),
}).label('Observation');

export const observationPage = Joi.object({
  items: Joi.array().items(observationDto).required(),
  next_cursor: Joi.string().allow(null).required(),
}).label('ObservationPage');

const nullableNumber = Joi.number().allow(null).required();
const nullableInstant = Joi.string().isoDate().allow(null).required();

export const wellSummaryDto = Joi.object({
  well_id: Joi.number().integer().required(),
  count: Joi.number().integer().min(0).required(),
  first_observed_at: nullableInstant,
  last_observed_at: nullableInstant,
  min_depth_ft: nullableNumber,
  max_depth_ft: nullableNumber,
  mean_depth_ft: nullableNumber,
  trend_ft_per_year: nullableNumber.description(
    'Least-squares slope of depth over time, feet per Julian year; positive means the water is falling. Null with fewer than 2 observations.',
  ),
}).label('WellSummary');

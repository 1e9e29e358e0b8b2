import Joi from 'joi';
import { toIsoDate } from './normalize';

/** Schemas several components share, so each rule and its wording lives once. */

export const pageLimit = Joi.number().integer().min(1).max(500).default(50).description('Page size (1–500)');

export const pageCursor = Joi.string().max(512).description('Opaque cursor from the previous page’s next_cursor');

const EARLIEST_DATE = '1800-01-01';

/** A calendar date, YYYY-MM-DD, from 1800 up to tomorrow (UTC, so no time zone is ahead of it). */
export const isoDate = Joi.string()
  .custom((value: string, helpers) => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    return toIsoDate(value) === value && value >= EARLIEST_DATE && value <= tomorrow
      ? value
      : helpers.error('any.invalid');
  })
  .messages({ 'any.invalid': `{{#label}} must be a real date as YYYY-MM-DD, from ${EARLIEST_DATE} up to today` })
  .description('Calendar date, YYYY-MM-DD')
  .meta({ jsonSchema: { format: 'date' } })
  .example('1998-06-15');

/**
 * An instant with an explicit zone (normalization has already turned it into
 * UTC ISO 8601 with milliseconds, or left it as sent when it could not).
 */
export const isoTimestamp = Joi.string()
  .pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  .messages({
    'string.pattern.base': '{{#label}} must be an ISO 8601 timestamp with a zone, e.g. 2024-05-01T14:30:00Z',
  })
  .description('ISO 8601 timestamp with Z or an offset')
  .example('2024-05-01T14:30:00.000Z');

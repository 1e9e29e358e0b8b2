import Joi from 'joi';

const MAX_BIGINT = 9223372036854775807n;

/**
 * A positive 64-bit id in a path or cursor, kept as a decimal string on the way
 * to PostgreSQL so a huge one is a clean 404, not a rounded lookup. Ids we hand
 * out stop at 2^53 − 1 (the identity's MAXVALUE), so they are exact JSON numbers.
 */
export const bigintId = Joi.string()
  .custom((value: string, helpers) =>
    /^[1-9][0-9]{0,18}$/.test(value) && BigInt(value) <= MAX_BIGINT ? value : helpers.error('any.invalid'),
  )
  .messages({ 'any.invalid': '{{#label}} must be a positive 64-bit integer' })
  .meta({ jsonSchema: { pattern: '^[1-9][0-9]{0,18}$' } });

import Joi from 'joi';

const MAX_BIGINT = 9223372036854775807n;

/** A positive 64-bit id, kept as a decimal string so no precision is lost on the way to PostgreSQL. */
export const bigintId = Joi.string()
  .custom((value: string, helpers) =>
    /^[1-9][0-9]{0,18}$/.test(value) && BigInt(value) <= MAX_BIGINT ? value : helpers.error('any.invalid'),
  )
  .messages({ 'any.invalid': '{{#label}} must be a positive 64-bit integer' });

import Joi from 'joi';

const MAX_BIGINT = 9223372036854775807n;
const ID_DIGITS = /^[1-9][0-9]{0,18}$/;

/** The rule of `bigintId`, as a plain function. */
export const isBigintId = (value: unknown): value is string =>
  typeof value === 'string' && ID_DIGITS.test(value) && (value.length < 19 || BigInt(value) <= MAX_BIGINT);

/**
 * A positive 64-bit id in a path or cursor, kept as a decimal string on the way
 * to PostgreSQL so a huge one is a clean 404, not a rounded lookup. Ids we hand
 * out stop at 2^53 − 1 (the identity's MAXVALUE), so they are exact JSON numbers.
 */
export const bigintId = Joi.string()
  .custom((value: string, helpers) => (isBigintId(value) ? value : helpers.error('any.invalid')))
  .messages({ 'any.invalid': '{{#label}} must be a positive 64-bit integer' })
  .meta({ jsonSchema: { pattern: '^[1-9][0-9]{0,18}$' } });

/** Schemas made by `idParams`, with their parameter names. */
const ID_PARAMS = new WeakMap<Joi.Schema, readonly string[]>();

/**
 * Path parameters that are all ids: `{ id: 'Well id' }`. The joi schema documents them and words
 * every error; `acceptIdParams` passes valid ones without running joi, the common case of every
 * lookup (joi was a measurable part of a point lookup's time).
 */
export function idParams<P extends Record<string, string>>(descriptions: Record<keyof P & string, string>) {
  const names = Object.keys(descriptions);
  const keys = Object.fromEntries(
    names.map((name) => [name, bigintId.required().description(descriptions[name] as string)]),
  );
  const schema = Joi.object<P>(keys as Joi.PartialSchemaMap<P>);
  ID_PARAMS.set(schema, names);
  return schema;
}

/**
 * The parameters as joi would return them, when `schema` came from `idParams` and every value is
 * a valid id with nothing else present; undefined otherwise (joi then decides, and explains).
 */
export function acceptIdParams(schema: Joi.Schema, value: unknown): Record<string, string> | undefined {
  const names = ID_PARAMS.get(schema);
  if (names === undefined || typeof value !== 'object' || value === null) return undefined;
  const given = value as Record<string, unknown>;
  let present = 0;
  for (const key in given) if (Object.hasOwn(given, key)) present++;
  if (present !== names.length) return undefined;
  const accepted: Record<string, string> = {};
  for (const name of names) {
    const id = given[name];
    if (!isBigintId(id)) return undefined;
    accepted[name] = id;
  }
  return accepted;
}

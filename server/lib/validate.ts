import type Joi from 'joi';
import { VOCABULARIES } from '../lexicon/vocabularies';
import { UnknownTerm, ValidationFailed } from './errors';
import { acceptIdParams } from './ids';

export type RequestPart = 'body' | 'query' | 'params';

const OPTIONS: Joi.ValidationOptions = {
  abortEarly: false,
  allowUnknown: false,
  convert: true,
  errors: { wrap: { label: false } },
};

const VOCABULARY_LISTS = Object.values(VOCABULARIES).map((v) => v.terms.join('\n'));

/** A value outside one of the controlled vocabularies (not any other `.valid()` list). */
const isUnknownTerm = (d: Joi.ValidationErrorItem): boolean =>
  d.type === 'any.only' &&
  Array.isArray(d.context?.valids) &&
  VOCABULARY_LISTS.includes((d.context.valids as unknown[]).join('\n'));

/**
 * Validates one part of a request. Throws ValidationFailed (400) listing every
 * bad field, or UnknownTerm (422) when the only fault is a value outside a
 * controlled vocabulary: the request was well formed, its meaning was not.
 */
export function validate<T>(schema: Joi.Schema<T>, value: unknown, part: RequestPart): T {
  const ids = part === 'params' ? acceptIdParams(schema, value) : undefined;
  if (ids !== undefined) return ids as T;
  const result = schema.validate(value ?? {}, OPTIONS);
  // joi silently drops an own "__proto__" key (JSON.parse makes one) instead of calling it unknown.
  const protoKey =
    typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')
      ? [{ path: `${part}.__proto__`, message: '__proto__ is not allowed' }]
      : [];
  const details = result.error?.details ?? [];
  const fieldErrors = details.map((d) => ({
    path: [part, ...d.path].join('.'),
    message: d.message,
  }));
  if (protoKey.length === 0 && details.length > 0 && details.every(isUnknownTerm)) {
    throw new UnknownTerm(fieldErrors);
  }
  if (fieldErrors.length > 0 || protoKey.length > 0) throw new ValidationFailed([...protoKey, ...fieldErrors]);
  return result.value as T;
}

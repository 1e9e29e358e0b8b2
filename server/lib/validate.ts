import type Joi from 'joi';
import { ValidationFailed } from './errors';

export type RequestPart = 'body' | 'query' | 'params';

const OPTIONS: Joi.ValidationOptions = {
  abortEarly: false,
  allowUnknown: false,
  convert: true,
  errors: { wrap: { label: false } },
};

/** Validates one part of a request; throws ValidationFailed (400) listing every bad field. */
export function validate<T>(schema: Joi.Schema<T>, value: unknown, part: RequestPart): T {
  const result = schema.validate(value ?? {}, OPTIONS);
  // joi silently drops an own "__proto__" key (JSON.parse makes one) instead of calling it unknown.
  const protoKey =
    typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')
      ? [{ path: `${part}.__proto__`, message: '__proto__ is not allowed' }]
      : [];
  const fieldErrors = (result.error?.details ?? []).map((d) => ({
    path: [part, ...d.path].join('.'),
    message: d.message,
  }));
  if (fieldErrors.length > 0 || protoKey.length > 0) throw new ValidationFailed([...protoKey, ...fieldErrors]);
  return result.value as T;
}

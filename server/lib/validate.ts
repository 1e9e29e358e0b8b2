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
  if (result.error) {
    throw new ValidationFailed(
      result.error.details.map((d) => ({
        path: [part, ...d.path].join('.'),
        message: d.message,
      })),
    );
  }
  return result.value;
}

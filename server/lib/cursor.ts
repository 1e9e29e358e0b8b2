import type Joi from 'joi';
import { ValidationFailed } from './errors';

/** Keyset position as an opaque token: clients pass it back and never parse it. */
export function encodeCursor(position: Readonly<Record<string, string | number>>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

const MAX_CURSOR_LENGTH = 512;

/** Decodes a cursor and checks its shape; any tampering is a 400 on `query.cursor`. */
export function decodeCursor<T>(token: string, shape: Joi.Schema<T>): T {
  const invalid = () => new ValidationFailed([{ path: 'query.cursor', message: 'cursor is not valid' }]);
  if (token.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { value, error } = shape.validate(parsed, { convert: false, allowUnknown: false });
  if (error) throw invalid();
  return value;
}

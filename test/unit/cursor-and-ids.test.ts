import Joi from 'joi';
import { decodeCursor, encodeCursor } from '../../server/lib/cursor';
import { ValidationFailed } from '../../server/lib/errors';
import { bigintId } from '../../server/lib/ids';
import { requestIdFrom } from '../../server/lib/request-id';

// A type alias (not an interface) so it fits encodeCursor's record parameter.
type Position = {
  id: number;
  site: string;
};
const shape = Joi.object<Position>({ id: Joi.number().integer().required(), site: Joi.string().required() });

const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

describe('cursor', () => {
  it.each<[string, Position]>([
    ['plain', { id: 1, site: 'KS-001' }],
    ['large id', { id: Number.MAX_SAFE_INTEGER, site: 'x' }],
    ['unicode site', { id: 7, site: 'Göttingen–Süd ✓' }],
    ['characters base64 would pad or slash', { id: 251, site: '>>>???~~~' }],
  ])('round-trips a %s position', (_name, position) => {
    const token = encodeCursor(position);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token, shape)).toEqual(position);
  });

  const valid = encodeCursor({ id: 5, site: 'KS-005' });

  it.each<[string, string]>([
    ['tampered: truncated', valid.slice(0, -3)],
    ['tampered: id turned into a string', b64url('{"id":"5","site":"KS-005"}')],
    ['tampered: extra key', encodeCursor({ id: 5, site: 'KS-005', admin: 1 })],
    ['tampered: missing key', encodeCursor({ id: 5 })],
    ['tampered: fractional id', encodeCursor({ id: 5.5, site: 'KS-005' })],
    ['non-base64url: standard alphabet +/', `${valid}+/`],
    ['non-base64url: padding', `${valid}==`],
    ['non-base64url: whitespace', ` ${valid}`],
    ['non-base64url: dot', `${valid}.sig`],
    ['empty', ''],
    ['too long', 'A'.repeat(513)],
    ['too long but otherwise valid', encodeCursor({ id: 5, site: 'x'.repeat(400) })],
    ['wrong shape: array', b64url('[5,"KS-005"]')],
    ['wrong shape: null', b64url('null')],
    ['wrong shape: number', b64url('5')],
    ['wrong shape: string', b64url('"KS-005"')],
    ['non-JSON', b64url('id=5&site=KS-005')],
    ['non-JSON: half an object', b64url('{"id":5,')],
    ['non-JSON: bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')],
  ])('%s ⇒ ValidationFailed on query.cursor', (_name, token) => {
    let thrown: unknown;
    try {
      decodeCursor(token, shape);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ValidationFailed);
    const problem = (thrown as ValidationFailed).toProblem();
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual([{ path: 'query.cursor', message: expect.any(String) }]);
  });

  it('accepts a token of exactly the maximum length', () => {
    // 384 bytes of JSON encode to exactly 512 base64url characters.
    const position = { id: 1, site: 'y'.repeat(384 - '{"id":1,"site":""}'.length) };
    const token = encodeCursor(position);
    expect(token).toHaveLength(512);
    expect(decodeCursor(token, shape)).toEqual(position);
  });
});

describe('bigintId', () => {
  it.each(['1', '42', '9007199254740993', '9223372036854775807'])('accepts %j unchanged', (id) => {
    const { value, error } = bigintId.validate(id);
    expect(error).toBeUndefined();
    expect(value).toBe(id);
  });

  it.each<[string, unknown]>([
    ['zero', '0'],
    ['negative', '-1'],
    ['leading zero', '01'],
    ['one past the int8 maximum', '9223372036854775808'],
    ['20 digits', '10000000000000000000'],
    ['decimal', '1.5'],
    ['exponent', '1e3'],
    ['letters', 'abc'],
    ['empty', ''],
    ['surrounding spaces', ' 1 '],
    ['plus sign', '+1'],
    ['a number rather than a string', 1],
    ['null', null],
  ])('rejects %s (%j)', (_name, id) => {
    const { error } = bigintId.validate(id);
    expect(error).toBeInstanceOf(Joi.ValidationError);
  });

  it('names the field and the rule in its message', () => {
    const { error } = bigintId.label('well_id').validate('0');
    expect(error?.message).toBe('"well_id" must be a positive 64-bit integer');
  });
});

describe('requestIdFrom', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it.each<[string, string | string[], string]>([
    ['a simple id', 'abc-123', 'abc-123'],
    ['an id with . _ :', 'req:2024.05_01', 'req:2024.05_01'],
    ['a UUID', '3f2504e0-4f89-41d3-9a0c-0305e82c3301', '3f2504e0-4f89-41d3-9a0c-0305e82c3301'],
    ['exactly 128 characters', 'a'.repeat(128), 'a'.repeat(128)],
    ['the first of an array', ['first-id', 'second-id'], 'first-id'],
  ])('keeps %s', (_name, header, expected) => {
    expect(requestIdFrom(header)).toBe(expected);
  });

  it.each<[string, string | string[] | undefined]>([
    ['absent', undefined],
    ['empty', ''],
    ['with a space', 'abc 123'],
    ['with a newline', 'abc\n123'],
    ['with CRLF header injection', 'abc\r\nSet-Cookie: x=1'],
    ['over 128 characters', 'a'.repeat(129)],
    ['non-ASCII', 'réquête'],
    ['with quotes', '"abc"'],
    ['an empty array', []],
    ['an array whose first entry is unsafe', ['bad id', 'good-id']],
  ])('replaces an id %s with a fresh UUID', (_name, header) => {
    const id = requestIdFrom(header);
    expect(id).toMatch(UUID);
    expect(requestIdFrom(header)).not.toBe(id);
  });
});

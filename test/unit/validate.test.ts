import fc from 'fast-check';
import Joi from 'joi';
import { termSchema } from '../../server/lexicon/vocabularies';
import { AppError, UnknownTerm, ValidationFailed } from '../../server/lib/errors';
import { acceptIdParams, bigintId, idParams } from '../../server/lib/ids';
import { validate, type RequestPart } from '../../server/lib/validate';

const schema = Joi.object({
  status: termSchema('well_status'),
  method: termSchema('measurement_method'),
  name: Joi.string().max(5),
  depth: Joi.number().min(0),
  nested: Joi.object({ role: termSchema('contact_role'), count: Joi.number().integer() }),
  // A closed list that is not a vocabulary: a bad value is malformed input, not an unknown term.
  order: Joi.string().valid('asc', 'desc'),
});

/** What validate threw: the class, status and the field paths, or 'ok' when it returned. */
function outcome(value: unknown, part: RequestPart = 'body'): { thrown: string; status?: number; paths?: string[] } {
  try {
    validate(schema, value, part);
    return { thrown: 'nothing' };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return {
      thrown: err.constructor.name,
      status: err.status,
      paths: (err.errors ?? []).map((e) => e.path).sort(),
    };
  }
}

const unknownTerm = (...paths: string[]) => ({ thrown: UnknownTerm.name, status: 422, paths });
const invalid = (...paths: string[]) => ({ thrown: ValidationFailed.name, status: 400, paths });

describe('validate: 400 versus 422', () => {
  it.each([
    ['valid input', { status: 'active', name: 'ok' }, { thrown: 'nothing' }],
    ['an empty object', {}, { thrown: 'nothing' }],
    ['one unknown term', { status: 'dry' }, unknownTerm('body.status')],
    ['two unknown terms', { status: 'dry', method: 'guess' }, unknownTerm('body.method', 'body.status')],
    ['an unknown term in a nested object', { nested: { role: 'boss' } }, unknownTerm('body.nested.role')],
    ['a term of another vocabulary', { status: 'steel-tape' }, unknownTerm('body.status')],
    ['a term not yet canonical (validate does not normalize)', { status: 'Active' }, unknownTerm('body.status')],
    ['an unknown term and a bad number', { status: 'dry', depth: -1 }, invalid('body.depth', 'body.status')],
    ['an unknown term and an unknown key', { status: 'dry', owner: 'x' }, invalid('body.owner', 'body.status')],
    ['an unknown term and a too-long string', { status: 'dry', name: 'toolong' }, invalid('body.name', 'body.status')],
    [
      'an unknown term and a nested fault',
      { method: 'guess', nested: { count: 1.5 } },
      invalid('body.method', 'body.nested.count'),
    ],
    ['only a bad number', { depth: 'deep' }, invalid('body.depth')],
    ['a value outside a list that is not a vocabulary', { order: 'sideways' }, invalid('body.order')],
    ['only an unknown key', { colour: 'blue' }, invalid('body.colour')],
    ['a body that is an array', [], invalid('body')],
    ['a body that is a string', 'status=dry', invalid('body')],
  ])('%s', (_label, value, expected) => {
    expect(outcome(value)).toEqual(expected);
  });

  it('calls an own "__proto__" key a 400 even when the only other fault is an unknown term', () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "status": "dry"}') as unknown;
    expect(outcome(value)).toEqual(invalid('body.__proto__', 'body.status'));
    expect(outcome(JSON.parse('{"__proto__": {}}'))).toEqual(invalid('body.__proto__'));
  });

  it('names the request part in every path', () => {
    expect(outcome({ status: 'dry' }, 'query')).toEqual(unknownTerm('query.status'));
    expect(outcome({ depth: -1 }, 'params')).toEqual(invalid('params.depth'));
  });

  it('lists the allowed terms in the 422 message', () => {
    try {
      validate(schema, { method: 'guess' }, 'body');
      throw new Error('validate returned');
    } catch (err) {
      expect(err).toBeInstanceOf(UnknownTerm);
      expect((err as UnknownTerm).errors).toEqual([
        {
          path: 'body.method',
          message:
            'method must be one of: steel-tape, electric-tape, pressure-transducer, acoustic, airline, other, unknown',
        },
      ]);
    }
  });

  it('returns the converted value and treats undefined as an empty object', () => {
    expect(validate(schema, { depth: '12.5', status: 'active' }, 'body')).toEqual({ depth: 12.5, status: 'active' });
    expect(validate(schema, undefined, 'query')).toEqual({});
    expect(validate(Joi.object({ n: Joi.number().default(7) }), null, 'query')).toEqual({ n: 7 });
  });
});

describe('path ids: the fast path agrees with joi', () => {
  const viaFastPath = idParams<{ id: string; contactId: string }>({ id: 'Well id', contactId: 'Contact id' });
  // The same rules, built as the schemas were before idParams: joi alone decides.
  const viaJoi = Joi.object({ id: bigintId.required(), contactId: bigintId.required() });

  const decide = (schema: Joi.Schema, value: unknown) => {
    try {
      return { value: validate(schema, value, 'params') as unknown };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return { status: err.status, paths: (err.errors ?? []).map((e) => e.path).sort() };
    }
  };

  it.each([
    [{ id: '1', contactId: '9223372036854775807' }],
    [{ id: '42', contactId: '7' }],
    [{ id: '9223372036854775808', contactId: '1' }], // one above the largest bigint
    [{ id: '0', contactId: '1' }],
    [{ id: '01', contactId: '1' }],
    [{ id: ' 1', contactId: '1' }],
    [{ id: '1', contactId: '' }],
    [{ id: '1' }],
    [{ id: '1', contactId: '2', extra: '3' }],
    [{ id: 1, contactId: '2' }],
    [{ id: '99999999999999999999', contactId: '2' }],
  ])('%j', (params) => {
    expect(decide(viaFastPath, params)).toEqual(decide(viaJoi, params));
  });

  it('agrees on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[0-9]{1,21}$/), fc.string()), fc.string(), (id, contactId) => {
        const params = { id, contactId };
        expect(decide(viaFastPath, params)).toEqual(decide(viaJoi, params));
      }),
      { numRuns: 500 },
    );
  });

  it('answers from the fast path only for schemas made by idParams', () => {
    expect(acceptIdParams(viaFastPath, { id: '5', contactId: '6' })).toEqual({ id: '5', contactId: '6' });
    expect(acceptIdParams(viaJoi, { id: '5', contactId: '6' })).toBeUndefined();
    expect(acceptIdParams(viaFastPath, { id: '5', contactId: 'x' })).toBeUndefined();
  });
});

import Joi from 'joi';
import { termSchema, termsOf } from '../../server/lexicon/vocabularies';
import { endpoint } from '../../server/lib/endpoint';
import { buildOpenApiDocument } from '../../server/openapi/document';
import { joiToJsonSchema, SchemaComponents, type JsonSchema } from '../../server/openapi/joi-schema';

const cases: [string, Joi.Schema, JsonSchema][] = [
  ['plain string', Joi.string(), { type: 'string' }],
  ['string lengths', Joi.string().min(1).max(64), { type: 'string', minLength: 1, maxLength: 64 }],
  ['exact length', Joi.string().length(3), { type: 'string', minLength: 3, maxLength: 3 }],
  ['pattern', Joi.string().pattern(/^[A-Z]+$/), { type: 'string', pattern: '^[A-Z]+$' }],
  ['case-insensitive pattern is left out', Joi.string().pattern(/^a$/i), { type: 'string' }],
  ['email', Joi.string().email(), { type: 'string', format: 'email' }],
  ['isoDate', Joi.string().isoDate(), { type: 'string', format: 'date-time' }],
  ['uri', Joi.string().uri(), { type: 'string', format: 'uri' }],
  ['guid', Joi.string().guid(), { type: 'string', format: 'uuid' }],
  [
    'keywords from meta, for what a custom validator checks',
    Joi.string()
      .custom((v: string) => v)
      .meta({ jsonSchema: { format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } }),
    { type: 'string', format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
  ],
  ['meta without keywords is ignored', Joi.string().meta({ note: 'x' }), { type: 'string' }],
  ['vocabulary', Joi.string().valid('a', 'b'), { type: 'string', enum: ['a', 'b'] }],
  ['vocabulary or null', Joi.string().valid('a', null), { type: ['string', 'null'], enum: ['a', null] }],
  ['nullable string', Joi.string().allow(null), { type: ['string', 'null'] }],
  ['extra allowed value', Joi.string().min(1).allow(''), { anyOf: [{ type: 'string', minLength: 1 }, { enum: [''] }] }],
  [
    'extra allowed value and null',
    Joi.string().min(1).allow('', null),
    { anyOf: [{ type: 'string', minLength: 1 }, { enum: [''] }, { type: 'null' }] },
  ],
  ['number', Joi.number(), { type: 'number' }],
  ['integer bounds', Joi.number().integer().min(1).max(500), { type: 'integer', minimum: 1, maximum: 500 }],
  [
    'exclusive bounds',
    Joi.number().greater(0).less(100_000),
    { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 100_000 },
  ],
  ['positive', Joi.number().positive(), { type: 'number', exclusiveMinimum: 0 }],
  ['negative', Joi.number().negative(), { type: 'number', exclusiveMaximum: 0 }],
  ['multiple', Joi.number().multiple(5), { type: 'number', multipleOf: 5 }],
  ['boolean with default', Joi.boolean().default(false), { type: 'boolean', default: false }],
  ['date', Joi.date(), { type: 'string', format: 'date-time' }],
  ['function default is left out', Joi.string().default(() => 'x'), { type: 'string' }],
  [
    'description, default, examples',
    Joi.number().description('Page size').default(50).example(10),
    { type: 'number', description: 'Page size', default: 50, examples: [10] },
  ],
  [
    'custom validator keeps base type and description',
    Joi.string()
      .custom((v: string) => v)
      .description('Calendar date'),
    { type: 'string', description: 'Calendar date' },
  ],
  ['any', Joi.any(), {}],
  ['nullable any stays open', Joi.any().allow(null), {}],
  [
    'array',
    Joi.array().items(Joi.string().email()).min(1).max(3).unique(),
    { type: 'array', items: { type: 'string', format: 'email' }, minItems: 1, maxItems: 3, uniqueItems: true },
  ],
  [
    'array of several item types',
    Joi.array().items(Joi.string(), Joi.number()),
    { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
  ],
  [
    'ordered array',
    Joi.array().ordered(Joi.number(), Joi.number()),
    { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], items: false },
  ],
  [
    'object: required, optional, forbidden, closed',
    Joi.object({ a: Joi.string().required(), b: Joi.number(), c: Joi.any().forbidden() }),
    {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' } },
      required: ['a'],
      additionalProperties: false,
    },
  ],
  [
    'object that allows unknown keys',
    Joi.object({ a: Joi.string() }).unknown(true),
    { type: 'object', properties: { a: { type: 'string' } } },
  ],
  ['object without keys accepts any', Joi.object(), { type: 'object' }],
  [
    'object min keys',
    Joi.object({ a: Joi.string() }).min(1),
    { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false, minProperties: 1 },
  ],
  [
    'object pattern with a key schema',
    Joi.object().pattern(Joi.string(), Joi.number()),
    { type: 'object', additionalProperties: { type: 'number' } },
  ],
  [
    'object pattern with a key regex',
    Joi.object({}).pattern(/^x-/, Joi.string()),
    { type: 'object', properties: {}, patternProperties: { '^x-': { type: 'string' } }, additionalProperties: false },
  ],
  [
    'nullable object',
    Joi.object({ a: Joi.string() }).allow(null),
    { type: ['object', 'null'], properties: { a: { type: 'string' } }, additionalProperties: false },
  ],
  [
    'alternatives',
    Joi.alternatives().try(Joi.string(), Joi.number()),
    { anyOf: [{ type: 'string' }, { type: 'number' }] },
  ],
  [
    'alternatives matching exactly one',
    Joi.alternatives().try(Joi.string(), Joi.number()).match('one'),
    { oneOf: [{ type: 'string' }, { type: 'number' }] },
  ],
  ['lower-case label stays inline', Joi.string().label('body'), { type: 'string' }],
];

describe('joiToJsonSchema', () => {
  it.each(cases)('%s', (_name, schema, expected) => {
    expect(joiToJsonSchema(schema)).toEqual(expected);
  });

  it('lists a vocabulary as an enum of its terms', () => {
    expect(joiToJsonSchema(termSchema('well_status'))).toEqual({
      type: 'string',
      enum: [...termsOf('well_status')],
      description: 'A well_status term; GET /api/v1/lexicon lists them with labels',
    });
    expect(joiToJsonSchema(termSchema('well_type').description('Kind of well'))).toMatchObject({
      description: 'Kind of well',
    });
  });

  it('turns a PascalCase label into a component and refers to it', () => {
    const components = new SchemaComponents();
    const point = Joi.object({ x: Joi.number().required() }).label('Point');
    const line = Joi.object({ from: point.required(), to: point.required() }).label('Line');
    expect(joiToJsonSchema(line, { components })).toEqual({ $ref: '#/components/schemas/Line' });
    expect(components.toJSON()).toEqual({
      Line: {
        type: 'object',
        properties: { from: { $ref: '#/components/schemas/Point' }, to: { $ref: '#/components/schemas/Point' } },
        required: ['from', 'to'],
        additionalProperties: false,
      },
      Point: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'], additionalProperties: false },
    });
  });

  it('inlines labelled schemas when no component registry is given', () => {
    expect(joiToJsonSchema(Joi.string().label('Code'))).toEqual({ type: 'string' });
  });

  it('gives a label reused for a different shape a numbered name instead of overwriting', () => {
    const components = new SchemaComponents();
    expect(joiToJsonSchema(Joi.string().label('Code'), { components })).toEqual({ $ref: '#/components/schemas/Code' });
    expect(joiToJsonSchema(Joi.number().label('Code'), { components })).toEqual({
      $ref: '#/components/schemas/Code2',
    });
    expect(joiToJsonSchema(Joi.string().label('Code'), { components })).toEqual({ $ref: '#/components/schemas/Code' });
    expect(components.toJSON()).toEqual({ Code: { type: 'string' }, Code2: { type: 'number' } });
  });
});

describe('request body examples', () => {
  /** The application/json media type of a one-endpoint document whose body is `body`. */
  const jsonMediaType = (body: Joi.Schema) => {
    const e = endpoint({
      operationId: 'createThing',
      method: 'post',
      path: '/things',
      tag: 'things',
      summary: 'Create a thing',
      scope: 'write',
      body,
      responses: { 201: { description: 'Created' } },
      handle: async () => undefined,
    });
    const doc = buildOpenApiDocument([e], { title: 't', version: '0' });
    const operation = doc.paths['/api/v1/things']?.post as { requestBody: { content: Record<string, unknown> } };
    return operation.requestBody.content['application/json'];
  };
  const thing = Joi.object({ code: Joi.string().example('KS-FIN-0042'), depth_ft: Joi.number() }).label('body');

  it('puts a whole-body example on the media type, once, and keeps field examples on their fields', () => {
    expect(jsonMediaType(thing.example({ code: 'KS-FIN-0042', depth_ft: 187.4 }))).toEqual({
      schema: {
        type: 'object',
        properties: { code: { type: 'string', examples: ['KS-FIN-0042'] }, depth_ft: { type: 'number' } },
        additionalProperties: false,
      },
      example: { code: 'KS-FIN-0042', depth_ft: 187.4 },
    });
  });

  it('names each example when a body has several, and adds none when it has none', () => {
    expect(jsonMediaType(thing.example({ code: 'A' }).example({ code: 'B' }))).toMatchObject({
      examples: { example1: { value: { code: 'A' } }, example2: { value: { code: 'B' } } },
    });
    expect(Object.keys(jsonMediaType(thing) as object)).toEqual(['schema']);
  });
});

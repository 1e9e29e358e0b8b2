import type Joi from 'joi';

/** A JSON Schema (2020-12, the OpenAPI 3.1 dialect) as plain JSON. */
export type JsonSchema = { [keyword: string]: unknown };

/** The parts of joi's `describe()` output the converter reads (joi 18). */
export interface JoiDescription {
  readonly type?: string;
  readonly flags?: {
    readonly presence?: 'optional' | 'required' | 'forbidden';
    readonly default?: unknown;
    readonly description?: string;
    readonly label?: string;
    readonly only?: boolean;
    readonly unknown?: boolean;
    readonly match?: 'any' | 'one' | 'all';
    readonly format?: string | string[];
  };
  readonly rules?: readonly { readonly name: string; readonly args?: Readonly<Record<string, unknown>> }[];
  readonly allow?: readonly unknown[];
  readonly examples?: readonly unknown[];
  readonly metas?: readonly unknown[];
  readonly keys?: Readonly<Record<string, JoiDescription>>;
  readonly patterns?: readonly {
    readonly schema?: JoiDescription;
    readonly regex?: string;
    readonly rule: JoiDescription;
  }[];
  readonly items?: readonly JoiDescription[];
  readonly ordered?: readonly JoiDescription[];
  readonly matches?: readonly {
    readonly schema?: JoiDescription;
    readonly then?: JoiDescription;
    readonly otherwise?: JoiDescription;
  }[];
}

export const describeJoi = (schema: Joi.Schema): JoiDescription => schema.describe() as unknown as JoiDescription;

/** Only PascalCase labels name components: lower-case ones (e.g. 'body') only word validation messages. */
const COMPONENT_NAME = /^[A-Z][A-Za-z0-9_]*$/;

/**
 * Named schemas collected while converting, for `components.schemas`. A label
 * reused for a different shape gets a numbered name instead of overwriting.
 */
export class SchemaComponents {
  private readonly schemas = new Map<string, JsonSchema>();

  /** Stores `schema` under `label` (or a numbered variant) and returns the reference to it. */
  register(label: string, schema: JsonSchema): JsonSchema {
    const json = JSON.stringify(schema);
    for (let n = 1; ; n++) {
      const name = n === 1 ? label : `${label}${n}`;
      const existing = this.schemas.get(name);
      if (existing === undefined) this.schemas.set(name, schema);
      if (existing === undefined || JSON.stringify(existing) === json) return { $ref: `#/components/schemas/${name}` };
    }
  }

  toJSON(): Record<string, JsonSchema> {
    return Object.fromEntries([...this.schemas].sort(([a], [b]) => a.localeCompare(b)));
  }
}

export interface ConvertOptions {
  /** Where labelled schemas go; without it every schema is inlined. */
  readonly components?: SchemaComponents;
}

/** Converts a joi schema into JSON Schema, as precisely as joi's description allows. */
export function joiToJsonSchema(schema: Joi.Schema, opts: ConvertOptions = {}): JsonSchema {
  return convert(describeJoi(schema), opts);
}

export function convert(d: JoiDescription, opts: ConvertOptions = {}): JsonSchema {
  const label = d.flags?.label;
  const out = withCommonKeywords(d, convertType(d, opts));
  if (label !== undefined && COMPONENT_NAME.test(label) && opts.components) {
    return opts.components.register(label, out);
  }
  return out;
}

function convertType(d: JoiDescription, opts: ConvertOptions): JsonSchema {
  switch (d.type) {
    case 'string':
      return stringSchema(d);
    case 'number':
      return numberSchema(d);
    case 'boolean':
      return { type: 'boolean' };
    case 'date':
      return dateSchema(d);
    case 'binary':
      return { type: 'string', contentEncoding: 'base64' };
    case 'object':
      return objectSchema(d, opts);
    case 'array':
      return arraySchema(d, opts);
    case 'alternatives':
      return alternativesSchema(d, opts);
    default:
      // any, link, symbol, function and custom types: nothing JSON Schema can check.
      return {};
  }
}

const ruleArgs = (d: JoiDescription, name: string): Readonly<Record<string, unknown>> | undefined => {
  const rule = d.rules?.find((r) => r.name === name);
  return rule ? (rule.args ?? {}) : undefined;
};
const ruleLimit = (d: JoiDescription, name: string): number | undefined => {
  const limit = ruleArgs(d, name)?.limit;
  return typeof limit === 'number' ? limit : undefined;
};

const STRING_FORMATS: Readonly<Record<string, string>> = {
  email: 'email',
  isoDate: 'date-time',
  isoDuration: 'duration',
  uri: 'uri',
  guid: 'uuid',
  hostname: 'hostname',
};

const STRING_PATTERNS: Readonly<Record<string, string>> = {
  alphanum: '^[a-zA-Z0-9]*$',
  token: '^[a-zA-Z0-9_]*$',
  hex: '^[a-fA-F0-9]*$',
};

function stringSchema(d: JoiDescription): JsonSchema {
  const out: JsonSchema = { type: 'string' };
  for (const rule of d.rules ?? []) {
    const limit = rule.args?.limit;
    if (rule.name === 'min' && typeof limit === 'number') out.minLength = limit;
    else if (rule.name === 'max' && typeof limit === 'number') out.maxLength = limit;
    else if (rule.name === 'length' && typeof limit === 'number') out.minLength = out.maxLength = limit;
    else if (rule.name === 'pattern') addPattern(out, rule.args);
    else if (Object.hasOwn(STRING_FORMATS, rule.name)) out.format = STRING_FORMATS[rule.name];
    else if (Object.hasOwn(STRING_PATTERNS, rule.name)) out.pattern = STRING_PATTERNS[rule.name];
  }
  return out;
}

/** joi describes a regex as '/source/flags'; flags JSON Schema cannot carry make the pattern undocumentable. */
function addPattern(out: JsonSchema, args: Readonly<Record<string, unknown>> | undefined): void {
  const regex = args?.regex;
  if (typeof regex !== 'string') return;
  const match = /^\/(.*)\/([a-z]*)$/s.exec(regex);
  if (!match || /[^u]/.test(match[2] ?? '')) return;
  const pattern = match[1] ?? '';
  if (args?.options && (args.options as { invert?: boolean }).invert) out.not = { pattern };
  else out.pattern = pattern;
}

function numberSchema(d: JoiDescription): JsonSchema {
  const out: JsonSchema = { type: ruleArgs(d, 'integer') ? 'integer' : 'number' };
  const bounds: [string, string][] = [
    ['min', 'minimum'],
    ['max', 'maximum'],
    ['greater', 'exclusiveMinimum'],
    ['less', 'exclusiveMaximum'],
    ['multiple', 'multipleOf'],
  ];
  for (const [rule, keyword] of bounds) {
    const limit = rule === 'multiple' ? ruleArgs(d, rule)?.base : ruleLimit(d, rule);
    if (typeof limit === 'number') out[keyword] = limit;
  }
  const sign = ruleArgs(d, 'sign')?.sign;
  if (sign === 'positive') out.exclusiveMinimum = 0;
  if (sign === 'negative') out.exclusiveMaximum = 0;
  return out;
}

function dateSchema(d: JoiDescription): JsonSchema {
  const format = d.flags?.format;
  if (format === 'javascript' || format === 'unix') return { type: 'number' };
  return { type: 'string', format: 'date-time' };
}

function objectSchema(d: JoiDescription, opts: ConvertOptions): JsonSchema {
  const out: JsonSchema = { type: 'object' };
  if (d.keys !== undefined) {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [key, child] of Object.entries(d.keys)) {
      if (child.flags?.presence === 'forbidden') continue;
      properties[key] = convert(child, opts);
      if (child.flags?.presence === 'required') required.push(key);
    }
    out.properties = properties;
    if (required.length > 0) out.required = required;
  }
  const patternProperties: Record<string, JsonSchema> = {};
  for (const p of d.patterns ?? []) {
    const keyPattern = p.regex ? /^\/(.*)\/[a-z]*$/s.exec(p.regex)?.[1] : undefined;
    // A key schema (rather than a regex) is not expressible per key: any other key gets the rule.
    if (keyPattern === undefined) out.additionalProperties = convert(p.rule, opts);
    else patternProperties[keyPattern] = convert(p.rule, opts);
  }
  if (Object.keys(patternProperties).length > 0) out.patternProperties = patternProperties;
  // joi rejects unknown keys unless told otherwise; Joi.object() with no keys at all accepts any.
  if (d.flags?.unknown !== true && d.keys !== undefined && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  const min = ruleLimit(d, 'min');
  const max = ruleLimit(d, 'max');
  const length = ruleLimit(d, 'length');
  if (min !== undefined) out.minProperties = min;
  if (max !== undefined) out.maxProperties = max;
  if (length !== undefined) out.minProperties = out.maxProperties = length;
  return out;
}

function arraySchema(d: JoiDescription, opts: ConvertOptions): JsonSchema {
  const out: JsonSchema = { type: 'array' };
  if (d.ordered && d.ordered.length > 0) {
    out.prefixItems = d.ordered.map((item) => convert(item, opts));
    if (!d.items || d.items.length === 0) out.items = false;
  }
  const items = (d.items ?? []).filter((item) => item.flags?.presence !== 'forbidden');
  if (items.length === 1 && items[0]) out.items = convert(items[0], opts);
  else if (items.length > 1) out.items = { anyOf: items.map((item) => convert(item, opts)) };
  const min = ruleLimit(d, 'min');
  const max = ruleLimit(d, 'max');
  const length = ruleLimit(d, 'length');
  if (min !== undefined) out.minItems = min;
  if (max !== undefined) out.maxItems = max;
  if (length !== undefined) out.minItems = out.maxItems = length;
  if (ruleArgs(d, 'unique')) out.uniqueItems = true;
  return out;
}

function alternativesSchema(d: JoiDescription, opts: ConvertOptions): JsonSchema {
  const options: JsonSchema[] = [];
  for (const m of d.matches ?? []) {
    for (const branch of [m.schema, m.then, m.otherwise]) if (branch) options.push(convert(branch, opts));
  }
  if (options.length === 0) return {};
  if (d.flags?.match === 'all') return { allOf: options };
  return d.flags?.match === 'one' ? { oneOf: options } : { anyOf: options };
}

/** Keywords every joi type shares: allowed values, nullability, default, description, examples. */
function withCommonKeywords(d: JoiDescription, base: JsonSchema): JsonSchema {
  let out = base;
  const allowed = d.allow ?? [];
  const allowsNull = allowed.includes(null);
  const values = allowed.filter((v) => v !== null);
  if (d.flags?.only) {
    out = { ...out, enum: allowsNull ? [...values, null] : values };
  } else if (values.length > 0) {
    // Extra allowed values bypass the type's rules (e.g. allow('') on a min(1) string).
    out = { anyOf: [out, { enum: values }] };
  }
  if (allowsNull) out = nullable(out);
  const { flags } = d;
  if (out.type !== undefined) Object.assign(out, metaKeywords(d));
  const description = flags?.description ?? vocabularyDescription(d);
  if (description !== undefined) out.description = description;
  if (flags?.default !== undefined && typeof flags.default !== 'function') out.default = flags.default;
  if (d.examples && d.examples.length > 0) out.examples = [...d.examples];
  return out;
}

function nullable(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  if (Array.isArray(schema.anyOf)) return { ...schema, anyOf: [...(schema.anyOf as unknown[]), { type: 'null' }] };
  if (schema.type === undefined && schema.enum === undefined) return schema; // already accepts anything
  return { anyOf: [schema, { type: 'null' }] };
}

/**
 * `.meta({ jsonSchema: { format: 'date' } })` documents what a custom validator
 * checks, which joi's description cannot show.
 */
function metaKeywords(d: JoiDescription): JsonSchema {
  const out: JsonSchema = {};
  for (const meta of d.metas ?? []) {
    const keywords = (meta as { jsonSchema?: unknown } | null)?.jsonSchema;
    if (typeof keywords === 'object' && keywords !== null) Object.assign(out, keywords);
  }
  return out;
}

/** termSchema() tags vocabulary fields with `.meta({ vocabulary })`. */
function vocabularyDescription(d: JoiDescription): string | undefined {
  for (const meta of d.metas ?? []) {
    const vocabulary = (meta as { vocabulary?: unknown } | null)?.vocabulary;
    if (typeof vocabulary === 'string') return `A ${vocabulary} term; GET /api/v1/lexicon lists them with labels`;
  }
  return undefined;
}

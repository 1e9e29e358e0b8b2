import { ValidationFailed } from '../../server/lib/errors';
import {
  canonicalTerm,
  normalizePayload,
  normalizeText,
  toFiniteNumber,
  toIsoDate,
  toIsoTimestamp,
  type NormalizationSpec,
} from '../../server/lib/normalize';

describe('normalizeText', () => {
  it.each([
    { input: '  Garden City  ', out: 'Garden City' },
    { input: '\t\nwell\r\n', out: 'well' },
    { input: 'Cafe\u0301', out: 'Caf\u00e9' }, // decomposed é → composed
    { input: ' \u212B ', out: '\u00C5' }, // ANGSTROM SIGN → Å
    { input: '', out: '' },
  ])('$input ⇒ $out', ({ input, out }) => {
    expect(normalizeText(input)).toBe(out);
  });
});

describe('canonicalTerm', () => {
  it.each([
    ['Steel Tape', 'steel-tape'],
    ['steel_tape', 'steel-tape'],
    ['  STEEL--tape ', 'steel-tape'],
    ['steel - _ tape', 'steel-tape'],
    ['-steel tape_', 'steel-tape'],
    ['Électrique', 'électrique'],
    ['sonde', 'sonde'],
  ])('%j ⇒ %j', (input, out) => {
    expect(canonicalTerm(input)).toBe(out);
  });
});

describe('toFiniteNumber', () => {
  it.each<[unknown, number | null | undefined]>([
    ['42', 42],
    [' 42 ', 42],
    ['-3.5', -3.5],
    ['+7', 7],
    ['.5', 0.5],
    ['1e3', 1000],
    ['1E-2', 0.01],
    [0, 0],
    [-12.25, -12.25],
    ['NaN', null],
    ['nan', null],
    ['Infinity', null],
    ['-Infinity', null],
    ['-inf', null],
    ['+INF', null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
    [Number.NEGATIVE_INFINITY, null],
    // Numeric strings that overflow a double are just as non-finite as "Infinity".
    ['1e999', null],
    ['-1e400', null],
    ['abc', undefined],
    ['', undefined],
    ['   ', undefined],
    ['0x10', undefined],
    ['1_000', undefined],
    ['12abc', undefined],
    [true, undefined],
    [null, undefined],
    [undefined, undefined],
    [{}, undefined],
    [[1], undefined],
  ])('%j ⇒ %p', (input, out) => {
    expect(toFiniteNumber(input)).toBe(out);
  });
});

describe('toIsoDate', () => {
  it.each<[string, string | undefined]>([
    ['2024-05-01', '2024-05-01'],
    [' 2024-05-01 ', '2024-05-01'],
    ['2024-02-29', '2024-02-29'],
    ['2000-02-29', '2000-02-29'],
    ['2023-02-29', undefined],
    ['1900-02-29', undefined],
    ['2024-04-31', undefined],
    ['2024-13-01', undefined],
    ['2024-00-10', undefined],
    ['2024-01-00', undefined],
    ['2024-5-1', undefined],
    ['20240501', undefined],
    ['2024-05-01T00:00:00Z', undefined],
    ['garbage', undefined],
    ['', undefined],
    // A real (if early) calendar date; Date.UTC maps years 0–99 to 1900–1999.
    ['0099-01-01', '0099-01-01'],
  ])('%j ⇒ %p', (input, out) => {
    expect(toIsoDate(input)).toBe(out);
  });
});

describe('toIsoTimestamp', () => {
  it.each<[string, string | undefined]>([
    ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00:00.5z', '2024-05-01T12:00:00.500Z'],
    ['2024-05-01T12:00:00+02:00', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01T12:00:00-05:30', '2024-05-01T17:30:00.000Z'],
    ['2024-05-01T12:00:00+0200', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01 12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01 12:00+02:00', '2024-05-01T10:00:00.000Z'],
    [' 2024-05-01T12:00:00Z ', '2024-05-01T12:00:00.000Z'],
    // Hour-only offsets are zoned (ISO 8601 ±hh); the pattern admits them.
    ['2024-05-01T12:00+02', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01T12:00:00', undefined],
    ['2024-05-01 12:00:00', undefined],
    ['2024-05-01', undefined],
    ['2024-05-01T25:00:00Z', undefined],
    ['2024-05-01T12:60:00Z', undefined],
    // Impossible calendar dates must not roll over into March.
    ['2023-02-29T12:00:00Z', undefined],
    ['2024-02-30T12:00:00Z', undefined],
    // Already canonical: returned as given, with the same calendar and clock checks.
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
    ['2000-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z'],
    ['1900-02-29T00:00:00.000Z', undefined],
    ['2023-02-29T00:00:00.000Z', undefined],
    ['2024-04-31T00:00:00.000Z', undefined],
    ['2024-13-01T00:00:00.000Z', undefined],
    ['2024-00-10T00:00:00.000Z', undefined],
    ['2024-05-00T00:00:00.000Z', undefined],
    ['2024-05-01T12:00:60.000Z', undefined],
    ['yesterday', undefined],
    ['', undefined],
  ])('%j ⇒ %p', (input, out) => {
    expect(toIsoTimestamp(input)).toBe(out);
  });
});

describe('normalizePayload', () => {
  const spec: NormalizationSpec = {
    name: 'text',
    method: 'term',
    depth: 'number',
    drilled_on: 'date',
    measured_at: 'timestamp',
  };

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      'normalizes each kind',
      {
        name: ' Well\u0301 ',
        method: 'Steel Tape',
        depth: ' 12.5 ',
        drilled_on: '2024-02-29',
        measured_at: '2024-05-01T12:00:00+02:00',
      },
      {
        name: 'Well\u0301'.normalize('NFC'),
        method: 'steel-tape',
        depth: 12.5,
        drilled_on: '2024-02-29',
        measured_at: '2024-05-01T10:00:00.000Z',
      },
    ],
    [
      'keeps null in every kind',
      { name: null, depth: null, drilled_on: null },
      { name: null, depth: null, drilled_on: null },
    ],
    ['passes unknown keys through untouched', { extra: ' Steel Tape ', n: 'NaN' }, { extra: ' Steel Tape ', n: 'NaN' }],
    [
      'leaves what it cannot interpret unchanged',
      { depth: 'deep', drilled_on: '2023-02-29', method: 7 },
      { depth: 'deep', drilled_on: '2023-02-29', method: 7 },
    ],
  ])('%s', (_name, input, out) => {
    expect(normalizePayload(input, spec)).toEqual(out);
  });

  it('passes unknown nested values through by reference', () => {
    const nested = { a: [1, 2] };
    const out = normalizePayload({ extra: nested }, spec) as Record<string, unknown>;
    expect(out.extra).toBe(nested);
  });

  it.each<[unknown, string[]]>([
    [{ depth: Number.NaN }, ['body.depth']],
    [{ depth: Number.POSITIVE_INFINITY }, ['body.depth']],
    [{ depth: '-Infinity' }, ['body.depth']],
    [{ depth: 'nan', name: 'ok' }, ['body.depth']],
    [{ depth: '1e999' }, ['body.depth']],
  ])('%p ⇒ ValidationFailed on %j', (input, paths) => {
    let thrown: unknown;
    try {
      normalizePayload(input, spec);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ValidationFailed);
    expect((thrown as ValidationFailed).errors?.map((e) => e.path)).toEqual(paths);
  });

  it('reports every non-finite number field, under the given part', () => {
    const twoNumbers: NormalizationSpec = { a: 'number', b: 'number' };
    expect(() => normalizePayload({ a: 'inf', b: Number.NaN }, twoNumbers, 'query')).toThrow(
      expect.objectContaining({
        status: 400,
        errors: [expect.objectContaining({ path: 'query.a' }), expect.objectContaining({ path: 'query.b' })],
      }),
    );
  });

  const arr = [1, 'x'];
  it.each<[string, unknown]>([
    ['string', ' Steel Tape '],
    ['number', Number.NaN],
    ['null', null],
    ['undefined', undefined],
    ['boolean', true],
    ['array', arr],
  ])('returns a non-object payload (%s) unchanged', (_name, payload) => {
    expect(normalizePayload(payload, spec)).toBe(payload);
  });

  it('keeps a JSON "__proto__" key as an own enumerable key on a plain object', () => {
    const payload: unknown = JSON.parse('{"__proto__": {"polluted": true}, "name": " x "}');
    const out = normalizePayload(payload, spec) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'name']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')).toMatchObject({
      value: { polluted: true },
      enumerable: true,
    });
    expect(out.name).toBe('x');
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('returns a copy, leaving the input untouched', () => {
    const input = { name: ' a ', depth: '3' };
    const out = normalizePayload(input, spec);
    expect(out).not.toBe(input);
    expect(input).toEqual({ name: ' a ', depth: '3' });
  });
});

import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvRowReader } from '../../server/bulk/parse-csv';
import { copyValue, toCopyLine, validateRow, type StagingRow } from '../../server/bulk/rows';
import { MAX_REPORTED_ERRORS, UploadEncoder } from '../../server/bulk/upload-encoder';
import { PayloadTooLarge } from '../../server/lib/errors';

const NOW = Date.parse('2025-06-01T00:00:00Z');
const base = { site_code: 'W-1', observed_at: '2024-05-01T10:00:00Z', depth_to_water_ft: '12.5' };

describe('validateRow', () => {
  it('normalizes a valid row and fills the defaults', () => {
    expect(validateRow({ ...base, site_code: '  W-1 ', observer: '', notes: '' }, 2, NOW)).toEqual({
      row: {
        line: 2,
        site_code: 'W-1',
        observed_at: '2024-05-01T10:00:00.000Z',
        depth_to_water_ft: 12.5,
        method: 'unknown',
        data_quality: 'provisional',
        observer: null,
        notes: null,
      },
    });
  });

  it.each([
    ['offset timestamp', { observed_at: '2024-05-01 12:00+02' }, { observed_at: '2024-05-01T10:00:00.000Z' }],
    ['JSON number depth', { depth_to_water_ft: -3 }, { depth_to_water_ft: -3 }],
    ['exponent depth', { depth_to_water_ft: '1.5e2' }, { depth_to_water_ft: 150 }],
    [
      'spelled terms',
      { method: 'Steel Tape', data_quality: ' APPROVED ' },
      { method: 'steel-tape', data_quality: 'approved' },
    ],
    ['null optional fields (NDJSON)', { method: null, observer: null }, { method: 'unknown', observer: null }],
  ])('accepts %s', (_name, change, expected) => {
    const result = validateRow({ ...base, ...change }, 3, NOW);
    expect(result).toEqual({ row: expect.objectContaining(expected) });
  });

  it.each([
    ['missing depth', { depth_to_water_ft: '' }, 'depth_to_water_ft', /is required/],
    ['missing site_code', { site_code: undefined }, 'site_code', /is required/],
    ['blank site_code', { site_code: '   ' }, 'site_code', /is required/],
    ['bad number', { depth_to_water_ft: '12,5' }, 'depth_to_water_ft', /must be a number/],
    ['NaN', { depth_to_water_ft: 'NaN' }, 'depth_to_water_ft', /finite/],
    ['Infinity', { depth_to_water_ft: '-Infinity' }, 'depth_to_water_ft', /finite/],
    ['overflow', { depth_to_water_ft: '1e999' }, 'depth_to_water_ft', /finite/],
    ['out of range', { depth_to_water_ft: '100000' }, 'depth_to_water_ft', /less than 100000/],
    ['boolean depth', { depth_to_water_ft: true }, 'depth_to_water_ft', /must be a number/],
    ['unzoned timestamp', { observed_at: '2024-05-01T10:00:00' }, 'observed_at', /with a zone/],
    ['impossible date', { observed_at: '2024-02-30T10:00:00Z' }, 'observed_at', /with a zone/],
    ['future timestamp', { observed_at: '2025-06-03T00:00:00Z' }, 'observed_at', /one day from now/],
    ['before 1800', { observed_at: '1799-12-31T00:00:00Z' }, 'observed_at', /1800/],
    ['unknown method', { method: 'dowsing' }, 'method', /must be one of: steel-tape, electric-tape/],
    ['unknown quality', { data_quality: 'great' }, 'data_quality', /must be one of: provisional, approved/],
    ['long observer', { observer: 'x'.repeat(201) }, 'observer', /at most 200/],
    ['NUL in notes', { notes: 'a\u0000b' }, 'notes', /NUL/],
    ['non-string site_code', { site_code: 42 }, 'site_code', /must be a string/],
  ])('rejects %s', (_name, change, path, message) => {
    const result = validateRow({ ...base, ...change }, 9, NOW);
    expect(result).toEqual({ errors: [{ line: 9, path, message: expect.stringMatching(message) }] });
  });

  it('reports every bad field of a row', () => {
    const result = validateRow({ site_code: 'W', observed_at: 'soon', depth_to_water_ft: 'deep' }, 4, NOW);
    expect('errors' in result && result.errors.map((e) => e.path)).toEqual(['observed_at', 'depth_to_water_ft']);
  });
});

describe('COPY text encoding', () => {
  it.each([
    [null, '\\N'],
    ['plain', 'plain'],
    ['tab\there', 'tab\\there'],
    ['new\nline', 'new\\nline'],
    ['cr\rhere', 'cr\\rhere'],
    ['back\\slash', 'back\\\\slash'],
    ['\\N', '\\\\N'],
    [-0.5, '-0.5'],
  ])('%j → %j', (value, expected) => {
    expect(copyValue(value)).toBe(expected);
  });

  it('writes one line per row in the staging column order', () => {
    const row: StagingRow = {
      line: 5,
      site_code: 'W\t1',
      observed_at: '2024-05-01T10:00:00.000Z',
      depth_to_water_ft: 1.25,
      method: 'unknown',
      data_quality: 'approved',
      observer: null,
      notes: 'two\nlines',
    };
    expect(toCopyLine(row)).toBe('5\tW\\t1\t2024-05-01T10:00:00.000Z\t1.25\tunknown\tapproved\t\\N\ttwo\\nlines\n');
  });
});

async function encode(text: string, maxBytes = 1_000_000): Promise<{ out: string; encoder: UploadEncoder }> {
  const encoder = new UploadEncoder(new CsvRowReader(), maxBytes, NOW);
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  // Split into 7-byte chunks so multi-byte characters straddle chunk boundaries.
  const bytes = Buffer.from(text, 'utf8');
  const pieces = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
  await pipeline(Readable.from(pieces), encoder, sink);
  return { out: Buffer.concat(chunks).toString('utf8'), encoder };
}

describe('UploadEncoder', () => {
  const header = 'site_code,observed_at,depth_to_water_ft,notes\n';

  it('turns CSV into COPY lines, decoding UTF-8 across chunk boundaries', async () => {
    const { out, encoder } = await encode(`${header}W-1,2024-05-01T10:00:00Z,1,été ☃\nW-2,2024-05-01T11:00:00Z,2,\n`);
    expect(out).toBe(
      '2\tW-1\t2024-05-01T10:00:00.000Z\t1\tunknown\tprovisional\t\\N\tété ☃\n' +
        '3\tW-2\t2024-05-01T11:00:00.000Z\t2\tunknown\tprovisional\t\\N\t\\N\n',
    );
    expect(encoder.errors).toEqual([]);
    expect(encoder.rowsEncoded).toBe(2);
  });

  it('stops writing at the first bad row but keeps collecting errors, at most 100', async () => {
    const good = 'W-1,2024-05-01T10:00:00Z,1,\n';
    const bad = 'W-1,2024-05-01T10:00:00,1,\n';
    const { out, encoder } = await encode(header + good + bad.repeat(250) + good);
    expect(out.split('\n').filter(Boolean)).toHaveLength(1);
    expect(encoder.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(encoder.errors[0]).toMatchObject({ line: 3, path: 'observed_at' });
    expect(encoder.errors[99]).toMatchObject({ line: 102 });
  });

  it('fails with PayloadTooLarge once the byte count passes the limit', async () => {
    await expect(encode(`${header}${'W-1,2024-05-01T10:00:00Z,1,\n'.repeat(10)}`, 100)).rejects.toBeInstanceOf(
      PayloadTooLarge,
    );
  });
});

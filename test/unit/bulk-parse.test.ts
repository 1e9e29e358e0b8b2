import { CsvRecordReader, CsvRowReader, CsvSyntaxError, resolveCsvHeader } from '../../server/bulk/parse-csv';
import { NdjsonRowReader, parseNdjsonLine } from '../../server/bulk/parse-ndjson';
import { MAX_RECORD_CHARS, type RowEvent, type RowReader } from '../../server/bulk/row-reader';

/** Parses `text` fed in pieces of `pieceSize` characters, so chunk boundaries fall everywhere. */
function csvRecords(text: string, pieceSize = text.length || 1): { fields: string[]; line: number }[] {
  const reader = new CsvRecordReader();
  const out: { fields: string[]; line: number }[] = [];
  for (let i = 0; i < text.length; i += pieceSize) reader.push(text.slice(i, i + pieceSize), (r) => out.push(r));
  reader.end((r) => out.push(r));
  return out;
}

function readAll(reader: RowReader, text: string, pieceSize = text.length || 1): RowEvent[] {
  const events: RowEvent[] = [];
  for (let i = 0; i < text.length; i += pieceSize) reader.push(text.slice(i, i + pieceSize), (e) => events.push(e));
  reader.end((e) => events.push(e));
  return events;
}

describe('CSV records', () => {
  it.each([
    [
      'plain LF',
      'a,b\nc,d\n',
      [
        { fields: ['a', 'b'], line: 1 },
        { fields: ['c', 'd'], line: 2 },
      ],
    ],
    [
      'CRLF',
      'a,b\r\nc,d\r\n',
      [
        { fields: ['a', 'b'], line: 1 },
        { fields: ['c', 'd'], line: 2 },
      ],
    ],
    [
      'no trailing newline',
      'a,b\nc,d',
      [
        { fields: ['a', 'b'], line: 1 },
        { fields: ['c', 'd'], line: 2 },
      ],
    ],
    ['BOM', '\uFEFFa,b\n', [{ fields: ['a', 'b'], line: 1 }]],
    ['quoted comma and doubled quote', '"x,y","say ""hi"""\n', [{ fields: ['x,y', 'say "hi"'], line: 1 }]],
    [
      'quoted newline keeps later line numbers physical',
      '"1\n2",b\r\nc,d\n',
      [
        { fields: ['1\n2', 'b'], line: 1 },
        { fields: ['c', 'd'], line: 3 },
      ],
    ],
    ['quoted CRLF inside a field', '"1\r\n2",b\n', [{ fields: ['1\r\n2', 'b'], line: 1 }]],
    ['empty fields', ',,\n', [{ fields: ['', '', ''], line: 1 }]],
    ['quoted empty field', '""\n', [{ fields: [''], line: 1 }]],
    [
      'blank lines are skipped but counted',
      'a\n\n\r\nb\n\n',
      [
        { fields: ['a'], line: 1 },
        { fields: ['b'], line: 4 },
      ],
    ],
    ['quoted field at end of file', 'a,"b"', [{ fields: ['a', 'b'], line: 1 }]],
    ['empty input', '', []],
  ])('%s', (_name, text, expected) => {
    expect(csvRecords(text)).toEqual(expected);
    // Whatever the chunking, the result is the same.
    for (const size of [1, 2, 3, 5]) expect(csvRecords(text, size)).toEqual(expected);
  });

  it.each([
    ['unclosed quote', 'a,b\n"open,x\n', 2, /not closed/],
    ['text after closing quote', '"a"b,c\n', 1, /closing quote/],
    ['quote inside unquoted field', 'a,b\nx,y"z\n', 2, /double quote inside an unquoted field/],
  ])('syntax error: %s', (_name, text, line, message) => {
    let thrown: unknown;
    try {
      csvRecords(text);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CsvSyntaxError);
    expect(thrown).toMatchObject({ line, message: expect.stringMatching(message) });
  });

  it('refuses a record longer than the limit instead of buffering it', () => {
    const reader = new CsvRecordReader();
    expect(() => reader.push(`"${'x'.repeat(MAX_RECORD_CHARS + 10)}`, () => undefined)).toThrow(CsvSyntaxError);
  });
});

describe('CSV header', () => {
  it.each([
    [['site_code', 'observed_at', 'depth_to_water_ft'], { columns: ['site_code', 'observed_at', 'depth_to_water_ft'] }],
    [
      [' Depth_To_Water_Ft', 'notes', 'observed_at', 'site_code'],
      { columns: ['depth_to_water_ft', 'notes', 'observed_at', 'site_code'] },
    ],
  ])('accepts %j', (names, expected) => {
    expect(resolveCsvHeader(names)).toEqual(expected);
  });

  it.each([
    [['site_code', 'observed_at', 'depth_to_water_ft', 'colour'], /unknown column "colour"/],
    [['site_code', 'observed_at'], /required column "depth_to_water_ft" is missing/],
    [['site_code', 'observed_at', 'depth_to_water_ft', 'site_code'], /more than once/],
  ])('rejects %j', (names, message) => {
    const result = resolveCsvHeader(names);
    expect(result).toEqual({ errors: [{ line: 1, path: 'header', message: expect.stringMatching(message) }] });
  });
});

describe('CSV rows', () => {
  const header = 'depth_to_water_ft,site_code,observed_at\n';

  it('maps fields by the header, in any column order', () => {
    expect(readAll(new CsvRowReader(), `${header}12.5,W-1,2024-01-01T00:00:00Z\n`, 4)).toEqual([
      {
        kind: 'row',
        line: 2,
        raw: { depth_to_water_ft: '12.5', site_code: 'W-1', observed_at: '2024-01-01T00:00:00Z' },
      },
    ]);
  });

  it('reports a wrong field count and goes on', () => {
    const events = readAll(new CsvRowReader(), `${header}1,W-1\n2,W-2,2024-01-01T00:00:00Z\n`);
    expect(events).toEqual([
      {
        kind: 'errors',
        fatal: false,
        errors: [{ line: 2, path: 'row', message: 'the row has 2 fields; the header has 3' }],
      },
      { kind: 'row', line: 3, raw: { depth_to_water_ft: '2', site_code: 'W-2', observed_at: '2024-01-01T00:00:00Z' } },
    ]);
  });

  it('stops at a header error', () => {
    const events = readAll(new CsvRowReader(), 'site_code,when\nW-1,x\n');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'errors', fatal: true });
  });

  it('stops at a syntax error, after delivering the rows before it', () => {
    const events = readAll(new CsvRowReader(), `${header}1,W-1,2024-01-01T00:00:00Z\n1,"W-2,x\n`);
    expect(events.map((e) => e.kind)).toEqual(['row', 'errors']);
    expect(events[1]).toMatchObject({ fatal: true, errors: [{ line: 3, path: 'row' }] });
  });

  it('reports an empty file', () => {
    expect(readAll(new CsvRowReader(), '')).toEqual([
      { kind: 'errors', fatal: true, errors: [{ line: 1, path: 'header', message: expect.stringMatching(/empty/) }] },
    ]);
  });
});

describe('NDJSON', () => {
  it.each([
    ['an object', '{"site_code":"W-1","depth_to_water_ft":3}', { raw: { site_code: 'W-1', depth_to_water_ft: 3 } }],
    ['bad JSON', '{"site_code":', { errors: [{ line: 7, path: 'row', message: 'the line is not valid JSON' }] }],
    ['an array', '[1,2]', { errors: [{ line: 7, path: 'row', message: 'the line must hold a JSON object' }] }],
    ['a string', '"x"', { errors: [{ line: 7, path: 'row', message: 'the line must hold a JSON object' }] }],
    [
      'an unknown key',
      '{"site_code":"W-1","colour":1}',
      { errors: [{ line: 7, path: 'colour', message: expect.stringMatching(/not allowed/) }] },
    ],
    [
      'a __proto__ key',
      '{"__proto__":{"x":1}}',
      { errors: [{ line: 7, path: '__proto__', message: expect.stringMatching(/not allowed/) }] },
    ],
  ])('%s', (_name, text, expected) => {
    expect(parseNdjsonLine(text, 7)).toEqual(expected);
  });

  it('numbers physical lines, skips blank ones, handles CRLF, BOM and a last line without newline', () => {
    const text = '\uFEFF{"site_code":"A"}\r\n\n   \n{"site_code":"B"}\nnot json\n{"site_code":"C"}';
    for (const size of [1, 3, text.length]) {
      expect(readAll(new NdjsonRowReader(), text, size)).toEqual([
        { kind: 'row', line: 1, raw: { site_code: 'A' } },
        { kind: 'row', line: 4, raw: { site_code: 'B' } },
        { kind: 'errors', fatal: false, errors: [{ line: 5, path: 'row', message: 'the line is not valid JSON' }] },
        { kind: 'row', line: 6, raw: { site_code: 'C' } },
      ]);
    }
  });

  it('stops at a line longer than the limit', () => {
    const events = readAll(new NdjsonRowReader(), `{"notes":"${'x'.repeat(MAX_RECORD_CHARS)}"}\n`, 1024);
    expect(events).toEqual([
      { kind: 'errors', fatal: true, errors: [expect.objectContaining({ line: 1, path: 'row' })] },
    ]);
  });
});

import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { Utf8Check } from '../../server/bulk/utf8-check';

/** Feeds `bytes` in the given chunk sizes; returns the verdict and the reported line. */
function check(bytes: Buffer, cuts: readonly number[] = []) {
  const c = new Utf8Check();
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    c.write(bytes.subarray(start, cut));
    start = cut;
  }
  c.write(bytes.subarray(start));
  return { valid: c.end(), line: c.invalidAt };
}

describe('Utf8Check', () => {
  it.each([
    ['ASCII', 'site,notes\nKS-1,ok\n'],
    ['two-, three- and four-byte characters', 'é ü — 水 😀\n'],
    ['U+FFFD itself, sent as UTF-8', 'x\uFFFDy'],
    ['the largest code point', String.fromCodePoint(0x10ffff)],
    ['nothing', ''],
  ])('accepts %s', (_, text) => {
    expect(check(Buffer.from(text, 'utf8'))).toEqual({ valid: true, line: null });
  });

  it.each([
    ['a lone continuation byte', [0x61, 0x80]],
    ['a truncated two-byte character before ASCII', [0xc3, 0x28]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['an overlong three-byte form', [0xe0, 0x80, 0xaf]],
    ['a surrogate', [0xed, 0xa0, 0x80]],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['an F5 lead byte', [0xf5, 0x80, 0x80, 0x80]],
    ['the end inside a character', [0xe6, 0xb0]],
    ['Latin-1 text', [0x63, 0x61, 0x66, 0xe9]],
  ])('refuses %s', (_, bytes) => {
    expect(check(Buffer.from(bytes)).valid).toBe(false);
  });

  it('names the line of the first bad byte, with a character split across chunks before it', () => {
    const bytes = Buffer.concat([Buffer.from('a\nb 水\nc'), Buffer.from([0xff]), Buffer.from('\nd\n')]);
    // Cut inside 水 (bytes 5–7) and just before the bad byte.
    expect(check(bytes, [6, 9])).toEqual({ valid: false, line: 3 });
  });

  it('agrees with Node’s own check on any bytes, however they are cut', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.string({ unit: 'binary', maxLength: 32 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
        ),
        fc.array(fc.nat(64), { maxLength: 4 }),
        (raw, cuts) => {
          const bytes = Buffer.from(raw);
          const inside = cuts.map((c) => Math.min(c, bytes.length));
          expect(check(bytes, inside).valid).toBe(isUtf8(bytes));
        },
      ),
      { numRuns: 2000, seed: 20261130 },
    );
  });
});

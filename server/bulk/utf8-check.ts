import { isUtf8 } from 'node:buffer';

/**
 * Checks that bytes arriving in chunks are UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF), counting lines so the first bad byte
 * can be reported by its line. A character may be split across chunks.
 */
export class Utf8Check {
  /** Continuation bytes the current character still needs. */
  private need = 0;
  /** The range the next continuation byte must fall in (narrower after E0, ED, F0, F4). */
  private lower = 0x80;
  private upper = 0xbf;
  private line = 1;
  private invalidLine: number | null = null;

  /** The line of the first invalid byte, or null while everything so far is valid. */
  get invalidAt(): number | null {
    return this.invalidLine;
  }

  /** Checks the next chunk; false once anything is invalid. */
  write(bytes: Buffer): boolean {
    if (this.invalidLine !== null) return false;
    // The common case, a chunk of whole valid characters, stays in native code.
    if (this.need === 0 && isUtf8(bytes)) {
      for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) this.line++;
      return true;
    }
    for (const b of bytes) {
      if (this.need > 0) {
        if (b < this.lower || b > this.upper) return this.fail();
        this.lower = 0x80;
        this.upper = 0xbf;
        this.need--;
      } else if (b < 0x80) {
        if (b === 0x0a) this.line++;
      } else if (b >= 0xc2 && b <= 0xdf) {
        this.need = 1;
      } else if (b >= 0xe0 && b <= 0xef) {
        this.need = 2;
        if (b === 0xe0) this.lower = 0xa0; // overlong below U+0800
        if (b === 0xed) this.upper = 0x9f; // surrogates U+D800–U+DFFF
      } else if (b >= 0xf0 && b <= 0xf4) {
        this.need = 3;
        if (b === 0xf0) this.lower = 0x90; // overlong below U+10000
        if (b === 0xf4) this.upper = 0x8f; // past U+10FFFF
      } else {
        return this.fail();
      }
    }
    return true;
  }

  /** Whether the input ended valid: not inside a character, and nothing invalid before. */
  end(): boolean {
    if (this.invalidLine === null && this.need > 0) this.fail();
    return this.invalidLine === null;
  }

  private fail(): false {
    this.invalidLine = this.line;
    return false;
  }
}

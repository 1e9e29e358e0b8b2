import crypto, { createHash } from 'node:crypto';
import {
  SCOPES,
  generateApiKey,
  hashKey,
  isScope,
  keyMatches,
  keyPrefix,
  scopeAllows,
  type Scope,
} from '../../server/auth/keys';

const FORMAT = /^aq_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;
const SECRET = 'A'.repeat(21) + '_-' + 'z9'.repeat(10);

describe('generateApiKey', () => {
  it('makes keys of the documented format whose hash is SHA-256 of the whole key', () => {
    const k = generateApiKey();
    expect(k.key).toMatch(FORMAT);
    expect(k.key.slice(3, 19)).toBe(k.prefix);
    expect(k.hash).toHaveLength(32);
    expect(k.hash.equals(createHash('sha256').update(k.key).digest())).toBe(true);
    expect(keyPrefix(k.key)).toBe(k.prefix);
  });

  it('never repeats a key or a prefix', () => {
    const made = Array.from({ length: 200 }, generateApiKey);
    expect(new Set(made.map((k) => k.key)).size).toBe(200);
    expect(new Set(made.map((k) => k.prefix)).size).toBe(200);
  });
});

describe('keyPrefix', () => {
  it.each([
    ['a well-formed key', `aq_0123456789abcdef_${SECRET}`, '0123456789abcdef'],
    ['a 42-character secret', `aq_0123456789abcdef_${SECRET.slice(1)}`, null],
    ['a 44-character secret', `aq_0123456789abcdef_${SECRET}x`, null],
    ['a 15-character prefix', `aq_0123456789abcde_${SECRET}`, null],
    ['an upper-case prefix', `aq_0123456789ABCDEF_${SECRET}`, null],
    ['no aq_', `0123456789abcdef_${SECRET}`, null],
    ['another scheme tag', `ak_0123456789abcdef_${SECRET}`, null],
    ['a padded key', ` aq_0123456789abcdef_${SECRET}`, null],
    ['a trailing newline', `aq_0123456789abcdef_${SECRET}\n`, null],
    ['a "+" in the secret (base64, not base64url)', `aq_0123456789abcdef_${SECRET.slice(1)}+`, null],
    ['the empty string', '', null],
  ])('%s ⇒ %p', (_label, key, prefix) => {
    expect(keyPrefix(key)).toBe(prefix);
  });
});

describe('scopeAllows', () => {
  const table: [Scope, Scope, boolean][] = [
    ['read', 'read', true],
    ['read', 'write', false],
    ['read', 'admin', false],
    ['write', 'read', true],
    ['write', 'write', true],
    ['write', 'admin', false],
    ['admin', 'read', true],
    ['admin', 'write', true],
    ['admin', 'admin', true],
  ];
  it.each(table)('a %s key for a %s route ⇒ %p', (held, needed, allowed) => {
    expect(scopeAllows(held, needed)).toBe(allowed);
  });

  it('covers every pair of scopes', () => {
    expect(table).toHaveLength(SCOPES.length ** 2);
  });
});

describe('isScope', () => {
  it.each([
    ['read', true],
    ['write', true],
    ['admin', true],
    ['Admin', false],
    ['', false],
    ['superuser', false],
    ['toString', false],
  ])('%p ⇒ %p', (value, expected) => {
    expect(isScope(value)).toBe(expected);
  });
});

describe('keyMatches', () => {
  afterEach(() => jest.restoreAllMocks());

  it('accepts the key whose hash is stored', () => {
    const k = generateApiKey();
    expect(keyMatches(k.key, k.hash)).toBe(true);
    expect(keyMatches(k.key, hashKey(k.key))).toBe(true);
  });

  it('refuses a wrong key of the same format, through the constant-time comparison', () => {
    const stored = generateApiKey();
    const sameprefix = `${stored.key.slice(0, 20)}${generateApiKey().key.slice(20)}`;
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    for (const wrong of [generateApiKey().key, sameprefix]) {
      expect(wrong).toMatch(FORMAT);
      expect(keyMatches(wrong, stored.hash)).toBe(false);
    }
    expect(compare).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['an empty hash', Buffer.alloc(0)],
    ['a 31-byte hash', Buffer.alloc(31)],
    ['a 64-byte hash', Buffer.alloc(64)],
  ])('refuses, without throwing, when the stored value is %s', (_label, stored) => {
    expect(keyMatches(generateApiKey().key, stored)).toBe(false);
  });

  it('refuses every key against the all-zero hash used when no row matched', () => {
    expect(keyMatches(generateApiKey().key, Buffer.alloc(32))).toBe(false);
  });

  it('tells keys apart that differ in one character', () => {
    const k = generateApiKey();
    const last = k.key.at(-1) === 'a' ? 'b' : 'a';
    expect(keyMatches(`${k.key.slice(0, -1)}${last}`, k.hash)).toBe(false);
  });
});

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API key format and hashing. Pure apart from the random source.
 *
 * A key reads `aq_<prefix>_<secret>`: the prefix (16 hex characters) is public,
 * stored in clear and finds the row; only SHA-256 of the whole key is stored.
 * A slow password hash is not needed: the secret is 256 random bits, not
 * something a person chose, so it cannot be guessed from its hash.
 */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const KEY_PATTERN = /^aq_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKey {
  /** The whole key: shown once, never stored. */
  readonly key: string;
  readonly prefix: string;
  readonly hash: Buffer;
}

export const hashKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

export function generateApiKey(): NewApiKey {
  const prefix = randomBytes(8).toString('hex');
  const key = `aq_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashKey(key) };
}

/** The public prefix of a well-formed key, or null. */
export function keyPrefix(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

/** Constant-time comparison of a presented key with a stored hash. */
export function keyMatches(key: string, storedHash: Buffer): boolean {
  const presented = hashKey(key);
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash);
}

/** admin ⊇ write ⊇ read. */
export const scopeAllows = (held: Scope, needed: Scope): boolean => SCOPES.indexOf(held) >= SCOPES.indexOf(needed);

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);

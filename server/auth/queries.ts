import type { Db } from '../lib/db';
import type { Scope } from './keys';

export interface ApiKeyRow {
  id: string;
  name: string;
  scope: Scope;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

export const findKeyByPrefix = (db: Db, prefix: string) =>
  db.maybeOne<ApiKeyRow & { key_hash: Buffer }>({
    name: 'api-keys.by-prefix',
    text: `SELECT id, name, scope, key_prefix, key_hash, created_at, revoked_at FROM api_keys WHERE key_prefix = $1`,
    values: [prefix],
  });

export const insertKey = (db: Db, key: { name: string; scope: Scope; prefix: string; hash: Buffer }) =>
  db.one<ApiKeyRow>({
    text: `INSERT INTO api_keys (name, scope, key_prefix, key_hash) VALUES ($1, $2, $3, $4)
           RETURNING id, name, scope, key_prefix, created_at, revoked_at`,
    values: [key.name, key.scope, key.prefix, key.hash],
  });

export const listKeys = (db: Db) =>
  db.many<ApiKeyRow>({
    text: 'SELECT id, name, scope, key_prefix, created_at, revoked_at FROM api_keys ORDER BY id',
  });

/** Revokes by id or by prefix; returns the row, or null when no such key. Revoking twice keeps the first time. */
export const revokeKey = (db: Db, idOrPrefix: string) =>
  db.maybeOne<ApiKeyRow>({
    text: `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
           WHERE key_prefix = $1 OR (${/^[0-9]{1,18}$/.test(idOrPrefix) ? 'id = $1::bigint' : 'false'})
           RETURNING id, name, scope, key_prefix, created_at, revoked_at`,
    values: [idOrPrefix],
  });

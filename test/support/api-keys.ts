import { generateApiKey, type Scope } from '../../server/auth/keys';
import { insertKey } from '../../server/auth/queries';
import type { TestDatabase } from './database';

/** Creates a key with `scope` straight in the database, as `npm run apikey -- create` would; returns the key. */
export async function issueKey(database: TestDatabase, scope: Scope, name = `test-${scope}`): Promise<string> {
  const key = generateApiKey();
  await database.query((db) => insertKey(db, { name, scope, prefix: key.prefix, hash: key.hash }));
  return key.key;
}

export const bearer = (key: string): [string, string] => ['Authorization', `Bearer ${key}`];

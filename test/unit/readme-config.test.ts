import fs from 'node:fs';
import path from 'node:path';
import { envSchema } from '../../config/schema';

// Keeps the README's configuration table true: every variable the schema reads is documented.
const INTERNAL = new Set(['AQUIFER_WORKER_INDEX', 'AQUIFER_POOL_SIZE', 'NODE_APP_INSTANCE']);

describe('README configuration table', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const documented = new Set([...readme.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
  const keys = [...(envSchema.describe().keys ? Object.keys(envSchema.describe().keys as object) : [])];

  it('reads the schema keys', () => {
    expect(keys).toContain('DATABASE_URL');
  });

  it.each(keys.filter((k) => !INTERNAL.has(k)))('documents %s', (key) => {
    expect(documented).toContain(key);
  });

  it.each([...INTERNAL])('mentions the internal %s', (key) => {
    expect(readme).toContain(key);
  });
});

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

  // Defaults that depend on the machine or on other settings are described in words instead.
  const DESCRIBED = new Set(['WEB_CONCURRENCY']);
  const readmeDefaults = new Map(
    [...readme.matchAll(/^\| `([A-Z0-9_]+)` \| `([^`]*)` \|/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
  const described = envSchema.describe().keys as Record<string, { flags?: { default?: unknown } }>;
  const withDefaults = Object.entries(described).filter(
    ([k, v]) => v.flags?.default !== undefined && !DESCRIBED.has(k) && !INTERNAL.has(k),
  );

  it('finds defaults to compare', () => {
    expect(withDefaults.length).toBeGreaterThan(20);
  });

  it.each(withDefaults)('states the schema default of %s', (key, v) => {
    expect(readmeDefaults.get(key)).toBe(String(v.flags?.default));
  });

  it.each([...INTERNAL])('mentions the internal %s', (key) => {
    expect(readme).toContain(key);
  });
});

/**
 * `npm run apikey -- create --name NAME --scope read|write|admin`: prints a new key once.
 * `npm run apikey -- list`: the keys on file, never a secret or a hash.
 * `npm run apikey -- revoke <id|prefix>`: a revoked key is refused from then on.
 * `--json` prints machine-readable output instead of text.
 */
import { parseArgs } from 'node:util';
import { generateApiKey, isScope, SCOPES } from '../server/auth/keys';
import { insertKey, listKeys, revokeKey, type ApiKeyRow } from '../server/auth/queries';
import { runScript, UsageError, withScriptDatabase } from './script-database';

const USAGE = `usage:
  npm run apikey -- create --name NAME --scope ${SCOPES.join('|')} [--json]
  npm run apikey -- list [--json]
  npm run apikey -- revoke <id|prefix> [--json]
`;

type Command =
  | { kind: 'create'; name: string; scope: (typeof SCOPES)[number]; json: boolean }
  | { kind: 'list'; json: boolean }
  | { kind: 'revoke'; target: string; json: boolean };

function parseCommand(args: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { name: { type: 'string' }, scope: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const [kind, ...rest] = positionals;
  const json = values.json === true;
  const onlyFor = (command: string, allowed: readonly string[]) => {
    const extra = (['name', 'scope'] as const).filter((k) => values[k] !== undefined && !allowed.includes(k));
    if (extra.length > 0) throw new UsageError(`${command} takes no --${extra.join(', --')}`);
  };
  switch (kind) {
    case 'create': {
      onlyFor('create', ['name', 'scope']);
      const { name, scope } = values;
      if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest.join(' ')}`);
      if (name === undefined || name.trim().length < 1 || name.length > 100) {
        throw new UsageError('--name is required: 1 to 100 characters');
      }
      if (scope === undefined || !isScope(scope)) throw new UsageError(`--scope must be one of: ${SCOPES.join(', ')}`);
      return { kind, name: name.trim(), scope, json };
    }
    case 'list':
      onlyFor('list', []);
      if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest.join(' ')}`);
      return { kind, json };
    case 'revoke': {
      onlyFor('revoke', []);
      const [target, ...more] = rest;
      if (target === undefined || more.length > 0) throw new UsageError('revoke takes one key id or prefix');
      return { kind, target, json };
    }
    default:
      throw new UsageError(kind === undefined ? 'a command is required' : `unknown command: ${kind}`);
  }
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const toJson = (row: ApiKeyRow) => ({
  id: Number(row.id),
  name: row.name,
  scope: row.scope,
  prefix: row.key_prefix,
  created_at: iso(row.created_at),
  revoked_at: iso(row.revoked_at),
});

function keyTable(rows: readonly ApiKeyRow[]): string {
  const header = ['id', 'name', 'scope', 'prefix', 'created', 'revoked'];
  const cells = rows.map((r) => [
    r.id,
    r.name,
    r.scope,
    r.key_prefix,
    iso(r.created_at) ?? '',
    iso(r.revoked_at) ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}

async function main(): Promise<number> {
  const command = parseCommand(process.argv.slice(2));
  const out = (text: string) => process.stdout.write(text);
  return withScriptDatabase('apikey', async (db) => {
    switch (command.kind) {
      case 'create': {
        const key = generateApiKey();
        const row = await insertKey(db, {
          name: command.name,
          scope: command.scope,
          prefix: key.prefix,
          hash: key.hash,
        });
        if (command.json) {
          out(`${JSON.stringify({ ...toJson(row), key: key.key })}\n`);
        } else {
          out(`Created API key ${row.id} "${row.name}" (scope ${row.scope}, prefix ${row.key_prefix}):\n\n`);
          out(`  ${key.key}\n\n`);
          out('Store it now: it cannot be shown again. Send it as "Authorization: Bearer <key>".\n');
        }
        return 0;
      }
      case 'list': {
        const rows = await listKeys(db);
        out(command.json ? `${JSON.stringify(rows.map(toJson))}\n` : rows.length ? keyTable(rows) : 'no API keys\n');
        return 0;
      }
      case 'revoke': {
        const row = await revokeKey(db, command.target);
        if (row === null) {
          process.stderr.write(`no API key with id or prefix "${command.target}"\n`);
          return 1;
        }
        out(
          command.json
            ? `${JSON.stringify(toJson(row))}\n`
            : `Revoked API key ${row.id} "${row.name}" (prefix ${row.key_prefix}) as of ${iso(row.revoked_at)}\n`,
        );
        return 0;
      }
    }
  });
}

runScript(main, USAGE);

import fs from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__aquiferTestPostgres;
  if (!state) return;
  await state.pgbouncer?.stop();
  await state.server?.stop('immediate');
  if (state.root) await fs.rm(state.root, { recursive: true, force: true });
}

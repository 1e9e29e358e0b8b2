import { withSingleConnection, type Sql } from '../../server/lib/db';

/** Client-side limit on each statement: a frozen or stuck server fails the test instead of hanging it. */
const STATEMENT_TIMEOUT_MS = 10_000;

/**
 * Opens a transaction on a connection of its own, runs `statements` in it, and keeps it open (holding
 * its locks, or its pooler's server connection) until the returned release rolls it back. Resolves
 * once held; rejects if the connection or a statement fails first.
 */
export async function holdTransaction(
  url: string,
  applicationName: string,
  statements: readonly Sql[],
): Promise<() => Promise<void>> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held: () => void = () => undefined;
  const isHeld = new Promise<void>((resolve) => (held = resolve));
  const session = withSingleConnection(
    url,
    applicationName,
    10_000,
    async (db) => {
      await db.exec({ text: 'BEGIN' });
      for (const statement of statements) await db.exec(statement);
      held();
      // Waiting here is not a statement, so the timeout does not apply: the caller decides how long.
      await released;
      await db.exec({ text: 'ROLLBACK' });
    },
    { queryTimeoutMs: STATEMENT_TIMEOUT_MS },
  );
  // A test that fails before releasing leaves the session to its server's end; its error is not the test's.
  session.catch(() => undefined);
  await Promise.race([isHeld, session]);
  return async () => {
    release();
    await session;
  };
}

import { statementTimeoutProblem } from '../../server/lib/pooled-session';

describe('statementTimeoutProblem (behind PgBouncer)', () => {
  it.each<[number, number, string | null]>([
    [0, 10_000, 'sets no statement_timeout'],
    [10_001, 10_000, '(10001 ms) is longer than DB_STATEMENT_TIMEOUT_MS=10000'],
    [3_600_000, 10_000, 'is longer than'],
    [10_000, 10_000, null],
    [1, 10_000, null],
  ])('server %i ms, configured %i ms ⇒ %s', (serverMs, configuredMs, expected) => {
    const problem = statementTimeoutProblem(serverMs, configuredMs);
    if (expected === null) expect(problem).toBeNull();
    else {
      expect(problem).toContain(expected);
      expect(problem).toContain(`ALTER ROLE <role> SET statement_timeout = '${configuredMs}ms'`);
    }
  });
});

/** @type {import('jest').Config} */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/** Reliability tests whose margins are too thin to share the machine's cores with another test. */
const RUN_ALONE = ['/test/reliability/pool-exhaustion.test.ts', '/test/reliability/keep-alive.test.ts'];

module.exports = {
  // One real PostgreSQL for the whole run, with a migrated template database.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...base, displayName: 'process', testMatch: ['<rootDir>/test/process/**/*.test.ts'] },
    // The fault and abuse battery (issue 6): bounded, loopback only, prints its [figures].
    {
      ...base,
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
      testPathIgnorePatterns: RUN_ALONE,
    },
    // Judged to within a tenth of a timeout or less, so run when nothing else does.
    { ...base, displayName: 'reliability-alone', testMatch: RUN_ALONE.map((p) => `<rootDir>${p}`) },
  ],
};

/** @type {import('jest').Config} */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/**
 * Run after the rest, one at a time: two reliability tests judged to within a tenth of a timeout or
 * less; graceful-stop, pm2-reload and worker-kill, whose loads are paced at 250 requests/s and must
 * keep at least 200 while processes boot, drain or die (beside the rolling restart, pm2-reload fell to
 * 144/s in one CI run and worker-kill to 142/s; graceful-stop to 160-180/s beside others); and the
 * benchmark, which saturates every core by design and would crowd any neighbour.
 */
const RUN_ALONE = [
  '/test/reliability/pool-exhaustion.test.ts',
  '/test/reliability/keep-alive.test.ts',
  '/test/reliability/graceful-stop.test.ts',
  '/test/reliability/pm2-reload.test.ts',
  '/test/reliability/worker-kill.test.ts',
  '/test/process/bench.test.ts',
];

module.exports = {
  // One real PostgreSQL for the whole run, with a migrated template database.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    {
      ...base,
      displayName: 'process',
      testMatch: ['<rootDir>/test/process/**/*.test.ts'],
      testPathIgnorePatterns: RUN_ALONE,
    },
    // The fault and abuse battery (issue 6): bounded, loopback only, prints its [figures].
    {
      ...base,
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
      testPathIgnorePatterns: RUN_ALONE,
    },
    { ...base, displayName: 'alone', testMatch: RUN_ALONE.map((p) => `<rootDir>${p}`) },
  ],
};

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/scratch/'],
  transform: {
    // Type checking is `npm run typecheck`; with isolatedModules in tsconfig.json ts-jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  // Servers and databases start for real in these tests, which takes seconds on 2 cores.
  testTimeout: 60_000,
  // Suites each start their own databases and servers; two at a time fits 2 cores.
  maxWorkers: 2,
};

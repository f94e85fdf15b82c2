import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/scratch/'],
  transform: {
    // Type checking is `npm run typecheck`; tests only need the transpiled code.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  // Servers and databases start for real in these tests, which takes seconds on 2 cores.
  testTimeout: 60_000,
  // Suites each start their own databases and servers; two at a time fits 2 cores.
  maxWorkers: 2,
};

export default config;

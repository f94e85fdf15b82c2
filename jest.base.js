const path = require('node:path');

/**
 * What every package's jest config shares. Workspace packages are mapped to their
 * TypeScript sources, so tests never need a build (the build is what `node` runs).
 * @param {string} rootDir the package the tests belong to
 * @returns {import('jest').Config}
 */
module.exports = function jestConfig(rootDir) {
  return {
    rootDir,
    testEnvironment: 'node',
    testMatch: ['**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/scratch/', '/dist/'],
    modulePathIgnorePatterns: ['<rootDir>/dist/', '/dist/'],
    moduleNameMapper: {
      '^@car-check/service-kit$': path.join(__dirname, 'packages', 'service-kit', 'src', 'index.ts'),
      '^@car-check/service-kit/process$': path.join(__dirname, 'packages', 'service-kit', 'src', 'process.ts'),
      '^@car-check/events$': path.join(__dirname, 'packages', 'events', 'src', 'index.ts'),
      '^@car-check/subgraph-kit$': path.join(__dirname, 'packages', 'subgraph-kit', 'src', 'index.ts'),
      '^@car-check/subgraph-kit/demo$': path.join(__dirname, 'packages', 'subgraph-kit', 'src', 'demo.ts'),
      '^@car-check/test-support/(\\w+)$': path.join(__dirname, 'packages', 'test-support', '$1.ts'),
    },
    transform: {
      // Type checking is `npm run typecheck`; the tests only need the types stripped (tsconfig.json's
      // isolatedModules keeps every file compilable on its own). swc does that several times faster
      // than ts-jest (TypeScript's own emitter), which was about a sixth of an end-to-end suite's CPU.
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2022', transform: { useDefineForClassFields: true } },
          module: { type: 'commonjs' },
          sourceMaps: 'inline',
        },
      ],
    },
    // Checks once, before any test, that the services the selected suites need are reachable (jest.projects.js).
    globalSetup: path.join(__dirname, 'packages', 'test-support', 'preflight.ts'),
    // Servers and databases start for real in these tests, which takes seconds on 2 cores.
    testTimeout: 60_000,
    // Suites each start their own databases and servers; two at a time fits 2 cores.
    maxWorkers: 2,
    // A worker whose heap has grown past this after a test file is replaced by a fresh one. A test
    // file's whole module graph (gateway, Prisma clients, PGlite's WebAssembly memory) stays
    // reachable for up to a minute after its graph stopped: the gateway's in-memory rate limiter
    // expires each client's count with a 60 s timer (rate-limiter-flexible's MemoryStorage), and
    // the timer's async context holds the file's. Reused workers grew to 2.5-2.8 GB, every garbage
    // collection marked it all, and the full run took 786 s of jest time; 584 s at 500 MB, 551 s at
    // 300 MB, and the least CPU at 200 MB (benchmarks/records/2026-12-07-test-suite-11.md).
    workerIdleMemoryLimit: '200MB',
  };
};

/**
 * The test tiers (jest projects) and the backing services each one needs. One table, read by
 * the root jest.config.js (which suites each project runs) and by the preflight
 * (packages/test-support/preflight.ts: which services to check before a run), so the two
 * cannot disagree.
 *
 * - unit: in-process, no PostgreSQL, PGlite, Redis, RabbitMQ, Chromium or booted graph;
 *   `npm run test:unit` runs it with no service at all, in under a minute.
 * - subgraph: in-process against real backends: a subgraph or a database on PostgreSQL/PGlite,
 *   or a client of Redis or RabbitMQ.
 * - e2e: boots the graph (in process or as child processes) or a command of scripts/.
 * - browser: drives Chromium against a running graph.
 */

/** In-process suites outside test/ that use a backend, and which ones. */
const IN_PROCESS_WITH_BACKENDS = {
  'packages/subgraph-kit/src/db/__tests__/dataWatch.test.ts': ['database'],
  'packages/subgraph-kit/src/db/__tests__/embedded.test.ts': ['database'],
  'packages/subgraph-kit/src/db/__tests__/migrate.test.ts': ['database'],
  'packages/subgraph-kit/src/db/__tests__/status.test.ts': ['database'],
  'packages/subgraph-kit/src/errors/__tests__/database.test.ts': ['database'],
  'packages/subgraph-kit/src/server/__tests__/abandonedWork.test.ts': ['database'],
  'packages/service-kit/src/server/__tests__/gatewaySignature.test.ts': ['database'],
  'packages/events/src/events/__tests__/relay.test.ts': ['rabbitmq'],
  'packages/service-kit/src/state/__tests__/redis.test.ts': ['redis'],
  'gateway/src/pipeline/__tests__/admission.test.ts': ['redis'],
  'gateway/src/entityCache/__tests__/redisStore.test.ts': ['redis'],
  'subgraphs/user/src/auth/__tests__/throttle.test.ts': ['redis'],
};

/** test/ suites that need no service and run in seconds: they read the repository's files. */
const UNIT_UNDER_TEST_DIR = [
  'test/schema/inputValidation.test.ts',
  'test/tools/boundaries.test.ts',
  'test/tools/committed.test.ts',
  'test/tools/docs.test.ts',
  'test/tools/planShape.test.ts',
  'test/tools/projects.test.ts',
];

/** e2e suites that need other services than the databases alone. */
const E2E_BACKENDS = {
  'test/e2e/broker.test.ts': ['database', 'rabbitmq'],
  'test/e2e/sharedState.test.ts': ['database', 'redis'],
  'test/e2e/redisOutage.test.ts': ['database', 'redis'],
  'test/e2e/entityCache.test.ts': ['database', 'redis'],
  'test/tools/check.test.ts': [],
  'test/tools/deploy.test.ts': [],
  // Replays the gateway image's production install against the npm registry: no backend, but minutes.
  'test/tools/gatewayImage.test.ts': [],
  'test/tools/workspaces.test.ts': [],
};

const inProcess = Object.keys(IN_PROCESS_WITH_BACKENDS);

/**
 * @typedef {'database' | 'redis' | 'rabbitmq' | 'chromium'} Service
 *   'database' is PostgreSQL when TEST_BACKENDS includes it (PGlite needs no server).
 * @typedef {object} TestProject
 * @property {string} name the project's displayName (`--selectProjects <name>`)
 * @property {string[]} testMatch its suites (`<rootDir>` is the repository)
 * @property {Service[]} services what its suites need...
 * @property {Record<string, Service[]>} [servicesOf] ...unless a suite (path from the repository) is listed here
 * @type {TestProject[]}
 */
const testProjects = [
  {
    name: 'unit',
    testMatch: [
      '<rootDir>/{packages,gateway,scripts,web}/**/*.test.ts',
      '<rootDir>/subgraphs/*/src/**/*.test.ts',
      ...UNIT_UNDER_TEST_DIR.map((file) => `<rootDir>/${file}`),
      // Jest puts the repository in place of <rootDir> only at the start of a glob, not after a "!".
      ...inProcess.map((file) => `!**/${file}`),
    ],
    services: [],
  },
  {
    name: 'subgraph',
    testMatch: [
      '<rootDir>/subgraphs/*/test/**/*.test.ts',
      '<rootDir>/test/schema/unknownInputFields.test.ts',
      // Prisma's schema engine (WebAssembly) diffing migrations: a database in process, minutes on a loaded machine.
      '<rootDir>/test/migrations/**/*.test.ts',
      '<rootDir>/test/tools/querySubgraph.test.ts',
      ...inProcess.map((file) => `<rootDir>/${file}`),
    ],
    services: ['database'],
    // The migration drift test runs Prisma's engine in process: no server.
    servicesOf: { ...IN_PROCESS_WITH_BACKENDS, 'test/migrations/drift.test.ts': [] },
  },
  {
    name: 'e2e',
    testMatch: [
      '<rootDir>/test/{e2e,db}/**/*.test.ts',
      // These start commands of scripts/ (and node processes with tsx) rather than call code in process.
      '<rootDir>/test/tools/{check,deploy,gatewayImage,startConfig,workspaces}.test.ts',
    ],
    services: ['database'],
    servicesOf: E2E_BACKENDS,
  },
  {
    name: 'browser',
    testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
    services: ['database', 'chromium'],
  },
];

module.exports = { testProjects };

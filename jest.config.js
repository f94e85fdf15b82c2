const { testProjects } = require('./jest.projects.js');

/**
 * The whole repository's tests as four projects (jest.projects.js says which suite is in which
 * and why): `npm test` runs them all, `npm run test:unit` (and :subgraph, :e2e, :browser) one.
 */
const { maxWorkers, workerIdleMemoryLimit, ...shared } = require('./jest.base.js')(__dirname);

module.exports = {
  maxWorkers,
  workerIdleMemoryLimit,
  testTimeout: shared.testTimeout,
  projects: testProjects.map((project) => ({ ...shared, displayName: project.name, testMatch: project.testMatch })),
};

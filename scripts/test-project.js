/**
 * `npm run test:<project> [-- <jest arguments>]`: jest with `--selectProjects <project>` placed
 * last. Placed first, jest's --selectProjects would take a path given after it for one more
 * project name and run the whole project (`npm test -- --selectProjects unit packages/service-kit`).
 */
const [project, ...jestArguments] = process.argv.splice(2);
process.argv.push(...jestArguments, '--selectProjects', project);
require('jest/bin/jest');

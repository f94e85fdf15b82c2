import { readdirSync } from 'node:fs';
import path from 'node:path';
import { globsToMatcher } from 'jest-util';

const ROOT = path.resolve(__dirname, '..', '..');

interface TestProject {
  name: string;
  testMatch: string[];
}

// The CommonJS table both jest.config.js and the preflight read.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file outside every tsconfig
const { testProjects } = require(path.join(ROOT, 'jest.projects.js')) as { testProjects: TestProject[] };

function testFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'dist', 'scratch', '.git'].includes(entry.name) ? [] : testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('the jest projects (jest.projects.js)', () => {
  const matchers = testProjects.map((project) => ({
    name: project.name,
    matches: globsToMatcher(project.testMatch.map((glob) => glob.replace('<rootDir>', ROOT))),
  }));

  it('put every test suite of the repository in exactly one project, so npm test runs each once', () => {
    const misplaced = testFiles(ROOT)
      .map((file) => ({
        file: path.relative(ROOT, file),
        projects: matchers.filter(({ matches }) => matches(file)).map(({ name }) => name),
      }))
      .filter(({ projects }) => projects.length !== 1);
    expect(misplaced).toEqual([]);
  });

  it('are unit, subgraph, e2e and browser', () => {
    expect(testProjects.map((project) => project.name)).toEqual(['unit', 'subgraph', 'e2e', 'browser']);
  });
});

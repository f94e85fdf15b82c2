import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@jest/types';
import { globsToMatcher } from 'jest-util';
// Relative, not the package name: jest's globalSetup loads this without moduleNameMapper.
import { unavailable, type Service } from './services';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

interface TestProject {
  name: string;
  testMatch: string[];
  services: Service[];
  servicesOf?: Record<string, Service[]>;
}

// The table jest.config.js builds its projects from, so the services checked are those of the suites that run.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file outside every tsconfig
const { testProjects } = require(path.join(REPO_ROOT, 'jest.projects.js')) as { testProjects: TestProject[] };

/**
 * Jest's globalSetup: before any test runs, check every service the selected suites need
 * (jest.projects.js) and stop at once with one message naming each one missing and how to fix
 * it, instead of failing test by test with ECONNREFUSED. The unit project needs none.
 */
export default async function preflight(
  globalConfig: Config.GlobalConfig,
  projectConfig: Config.ProjectConfig,
): Promise<void> {
  const needed = new Set<Service>();
  for (const suite of selectedSuites(globalConfig, projectConfig)) {
    for (const service of suite.services) needed.add(service);
  }
  const problems = await unavailable(needed);
  if (problems.length === 0) return;
  // Printed and exited rather than thrown: jest would add its own stack trace to a thrown error.
  process.stderr.write(
    `\nThe selected tests need ${problems.length === 1 ? 'a service that is' : 'services that are'} not there:\n` +
      problems.map((problem) => `  - ${problem}\n`).join('') +
      `  Or run only the tests that need no service: npm run test:unit\n\n`,
  );
  process.exit(1);
}

interface Suite {
  file: string;
  services: Service[];
}

/** The suites this run will run: in the selected projects, under the package tested, matching the path filters. */
function selectedSuites(globalConfig: Config.GlobalConfig, projectConfig: Config.ProjectConfig): Suite[] {
  const chosen = projectsChosen();
  const filters = globalConfig.testPathPatterns;
  const filtered = filters.isSet() ? filters.toExecutor({ rootDir: projectConfig.rootDir }) : null;
  const ignored = projectConfig.testPathIgnorePatterns.map((pattern) => new RegExp(pattern));
  const projects = testProjects
    .filter((project) => chosen(project.name))
    .map((project) => ({
      project,
      matches: globsToMatcher(project.testMatch.map((glob) => glob.replace('<rootDir>', REPO_ROOT))),
    }));
  const suites: Suite[] = [];
  for (const file of testFiles(projectConfig.rootDir)) {
    if (ignored.some((pattern) => pattern.test(file)) || (filtered && !filtered.isMatch(file))) continue;
    const owner = projects.find(({ matches }) => matches(file))?.project;
    if (!owner) continue;
    suites.push({ file, services: owner.servicesOf?.[path.relative(REPO_ROOT, file)] ?? owner.services });
  }
  return suites;
}

/**
 * Whether `--selectProjects`/`--ignoreProjects` keep a project. Jest hands globalSetup no list of
 * the projects chosen, only the command line it was started with.
 */
function projectsChosen(): (name: string) => boolean {
  const selected = flagValues('--selectProjects');
  const ignored = flagValues('--ignoreProjects');
  return (name) => (selected.length === 0 || selected.includes(name)) && !ignored.includes(name);
}

function flagValues(flag: string): string[] {
  const values: string[] = [];
  const args = process.argv;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (arg.startsWith(`${flag}=`)) values.push(...arg.slice(flag.length + 1).split(','));
    if (arg !== flag) continue;
    for (let next = index + 1; next < args.length && !(args[next] ?? '-').startsWith('-'); next += 1)
      values.push(args[next] ?? '');
  }
  return values.filter((value) => value.length > 0);
}

const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', 'scratch', '.git']);

/** Every *.test.ts under a directory (the repository, or the package `npm test -w` runs). */
function testFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRECTORIES.has(entry.name) ? [] : testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

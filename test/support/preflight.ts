import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@jest/types';
import pg from 'pg';
import { testConfig } from './config';

/**
 * Jest's globalSetup: before any test runs, check that what the chosen backends
 * need is there, and stop at once with one message that says how to fix it,
 * instead of failing test by test with ECONNREFUSED.
 */
export default async function preflight(globalConfig: Config.GlobalConfig, projectConfig: Config.ProjectConfig): Promise<void> {
  if (browserTestsSelected(globalConfig, projectConfig)) checkChromium();
  if (!testConfig.TEST_BACKENDS.includes('postgres')) return;
  const client = new pg.Client({ connectionString: testConfig.TEST_DATABASE_URL, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const where = redact(testConfig.TEST_DATABASE_URL);
    // Printed and exited rather than thrown: jest would add its own stack trace to a thrown error.
    process.stderr.write(
      `\nThe tests need PostgreSQL and cannot reach it at ${where} (${error instanceof Error ? error.message : String(error)}).\n` +
        `  Start PostgreSQL there, or point TEST_DATABASE_URL at one (a role that may create and drop databases),\n` +
        `  or run every test on the embedded database only: TEST_BACKENDS=pglite npm test\n\n`,
    );
    process.exit(1);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const BROWSER_TEST = path.resolve(__dirname, '..', 'browser', 'console.test.ts');

/** Whether this run includes the browser tests (not `npm test -w subgraphs/car`, nor a path filter that leaves them out). */
function browserTestsSelected(globalConfig: Config.GlobalConfig, projectConfig: Config.ProjectConfig): boolean {
  if (!BROWSER_TEST.startsWith(projectConfig.rootDir + path.sep)) return false;
  if (projectConfig.testPathIgnorePatterns.some((pattern) => new RegExp(pattern).test(BROWSER_TEST))) return false;
  const patterns = globalConfig.testPathPatterns;
  return !patterns.isSet() || patterns.toExecutor({ rootDir: projectConfig.rootDir }).isMatch(BROWSER_TEST);
}

/** The browser tests (test/browser) drive Debian's Chromium; say so at once rather than after their wait. */
function checkChromium(): void {
  const browser = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(browser)) return;
  process.stderr.write(
    `\nThe browser tests need Chromium at ${browser}, and it is not there.\n` +
      `  Install Debian's: sudo apt-get install -y chromium (.ci/run does), or set CHROMIUM_PATH to another Chromium,\n` +
      `  or run the other tests: npm test -- --testPathIgnorePatterns test/browser\n\n`,
  );
  process.exit(1);
}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

import pg from 'pg';
import { testConfig } from './config';

/**
 * Jest's globalSetup: before any test runs, check that what the chosen backends
 * need is there, and stop at once with one message that says how to fix it,
 * instead of failing test by test with ECONNREFUSED.
 */
export default async function preflight(): Promise<void> {
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

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

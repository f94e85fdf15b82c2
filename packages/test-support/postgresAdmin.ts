import pg from 'pg';
import { testConfig } from './config';

/** The URL of another database on the tests' PostgreSQL server. */
export function databaseUrl(name: string): string {
  const url = new URL(testConfig.TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `run` on a connection to the tests' PostgreSQL as given (a role that may create databases). */
export async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testConfig.TEST_DATABASE_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

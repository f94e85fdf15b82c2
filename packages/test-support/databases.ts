import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseTarget, quoteIdent } from '@car-check/subgraph-kit';
import { testConfig, type Backend } from './config';

export interface TestDatabases {
  /** A database target for the given subgraph schema. */
  target(schema: string): DatabaseTarget;
  /** Drops everything the tests created. */
  drop(): Promise<void>;
}

/**
 * Fresh, isolated databases for one test file. PGlite: in-memory, gone when
 * closed. PostgreSQL: a new database (each subgraph in its own schema of it,
 * as in production), dropped at the end even if connections linger.
 */
export async function createTestDatabases(backend: Backend): Promise<TestDatabases> {
  if (backend === 'pglite') {
    return { target: () => ({ kind: 'embedded', dataDir: 'memory://' }), drop: async () => undefined };
  }
  const name = `car_check_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${quoteIdent(name)}`));
  const url = databaseUrl(name);
  return {
    target: (schema) => ({ kind: 'postgres', url, schema, poolSize: 5 }),
    drop: async () => {
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
    },
  };
}

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

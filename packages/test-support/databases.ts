import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { type DatabaseTarget, quoteIdent } from '@car-check/common';
import { EMBEDDED_TEST_PARENT, testConfig, type Backend } from './config';

export interface TestDatabases {
  /** A database target for the given subgraph schema. */
  target(schema: string): DatabaseTarget;
  /** Drops everything the tests created. */
  drop(): Promise<void>;
}

/**
 * Fresh, isolated databases for one test file. PGlite: a new data folder for each target asked
 * for (a restarted subgraph gets an empty one, as in-memory databases did), removed by `drop`.
 * PostgreSQL: a new database (each subgraph in its own schema of it, as in production), dropped
 * at the end even if connections linger.
 */
export async function createTestDatabases(backend: Backend): Promise<TestDatabases> {
  if (backend === 'pglite') return embeddedTestDatabases();
  const name = `car_check_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${quoteIdent(name)}`));
  const url = new URL(testConfig.TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    target: (schema) => ({ kind: 'postgres', url: url.toString(), schema, poolSize: 5 }),
    drop: async () => {
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
    },
  };
}

function embeddedTestDatabases(): TestDatabases {
  const run = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const folders: string[] = [];
  return {
    target: (schema) => {
      const dataDir = path.join(EMBEDDED_TEST_PARENT, `${run}-${folders.length}-${schema}`);
      folders.push(dataDir);
      return { kind: 'embedded', dataDir };
    },
    drop: async () => {
      // The folder, and the lock file the embedded database keeps beside it (common/db/dataLock.ts).
      const paths = folders.flatMap((folder) => [folder, `${folder}.lock`]);
      await Promise.all(paths.map((file) => rm(file, { recursive: true, force: true })));
    },
  };
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testConfig.TEST_DATABASE_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

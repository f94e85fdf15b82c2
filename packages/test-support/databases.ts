import { randomBytes } from 'node:crypto';
import { type DatabaseTarget, quoteIdent } from '@car-check/subgraph-kit';
import type { Backend } from './config';
import { databaseUrl, withAdmin } from './postgresAdmin';
import { pgliteTemplate } from './templates';

export interface TestDatabases {
  /** A database target for the given subgraph schema. */
  target(schema: string): DatabaseTarget;
  /** Drops everything the tests created. */
  drop(): Promise<void>;
}

/**
 * Fresh, isolated, empty databases for one test file (for a graph or a subgraph with its
 * migrations applied, see templates.ts). PGlite: in-memory (loaded from an empty cluster made once,
 * not initdb in every test file), gone when closed. PostgreSQL: a new database (each subgraph in
 * its own schema of it, as in production), dropped at the end even if connections linger.
 */
export async function createTestDatabases(backend: Backend): Promise<TestDatabases> {
  if (backend === 'pglite') {
    const loadFrom = await pgliteTemplate(null);
    return { target: () => ({ kind: 'embedded', dataDir: 'memory://', loadFrom }), drop: async () => undefined };
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

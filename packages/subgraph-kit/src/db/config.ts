import path from 'node:path';
import { z } from 'zod';
import {
  postgresUrl,
  readEnv,
  subgraphDatabaseSchemaVariable,
  subgraphDatabaseUrlVariable,
} from '@car-check/service-kit';
import type { DatabaseTarget } from './connect';
import { DEFAULT_EMBEDDED_SETTINGS } from './embedded';

export interface SubgraphDatabaseNames {
  /** Its name in supergraph.yaml, which names its own variables (`cost-center`: `COST_CENTER_DATABASE_URL`). */
  name: string;
  /** Folder under DATA_DIR for the embedded database. */
  dataFolder: string;
  /** PostgreSQL schema used when no explicit one is configured. */
  defaultSchema: string;
}

/**
 * Picks a subgraph's database from the environment:
 * `<NAME>_DATABASE_URL` (a database of its own) wins over the shared
 * `DATABASE_URL`; with neither, an embedded PGlite under `DATA_DIR`, whose
 * buffer pool is `EMBEDDED_SHARED_BUFFERS` (16MB; see embedded.ts for why).
 */
export function databaseTargetFromEnv(
  names: SubgraphDatabaseNames,
  env: NodeJS.ProcessEnv = process.env,
): DatabaseTarget {
  const own = subgraphDatabaseUrlVariable(names.name);
  const schemaVar = subgraphDatabaseSchemaVariable(names.name);
  const config = readEnv(
    {
      DATABASE_URL: postgresUrl().optional(),
      [own]: postgresUrl().optional(),
      [schemaVar]: z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier')
        .default(names.defaultSchema),
      DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
      DATA_DIR: z.string().default('.data'),
      EMBEDDED_SHARED_BUFFERS: z
        .string()
        .regex(/^[1-9]\d*(kB|MB|GB)$/, 'must look like 16MB, 512kB or 1GB')
        .default(DEFAULT_EMBEDDED_SETTINGS.sharedBuffers),
    },
    env,
  ) as Record<string, string | number | undefined>;

  const url = (config[own] ?? config.DATABASE_URL) as string | undefined;
  if (url) {
    return {
      kind: 'postgres',
      url,
      schema: config[schemaVar] as string,
      poolSize: config.DATABASE_POOL_SIZE as number,
      variable: config[own] ? own : 'DATABASE_URL',
    };
  }
  return {
    kind: 'embedded',
    dataDir: path.resolve(config.DATA_DIR as string, names.dataFolder),
    settings: { sharedBuffers: config.EMBEDDED_SHARED_BUFFERS as string },
  };
}

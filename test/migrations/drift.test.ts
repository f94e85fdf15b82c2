/**
 * The committed migrations of each subgraph must build exactly the schema its
 * schema.prisma describes; otherwise a deployed database differs from what the Prisma
 * client expects. Runs Prisma's schema engine (wasm) on in-memory PGlite: no server needed.
 * (createMigration has its own file, so that two jest workers share the engine's minutes.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import {
  SUBGRAPHS,
  diffMigrationsToSchema,
  startSchemaEngine,
  type SchemaEngineHandle,
} from '../../scripts/lib/schema-engine';
import { copyCarSubgraph } from './carCopy';

let tempRoot: string;
// One engine for every diff in this file: starting one costs seconds (PGlite boots Postgres).
// (createMigration always starts its own: it changes the engine's main database.)
let engine: SchemaEngineHandle | undefined;
beforeAll(async () => {
  tempRoot = await mkdtemp(path.join(os.tmpdir(), 'migrations-drift-'));
  engine = await startSchemaEngine();
});
afterAll(async () => {
  await engine?.close();
  await rm(tempRoot, { recursive: true, force: true });
});

describe('committed migrations vs schema.prisma', () => {
  test.each(SUBGRAPHS)('%s: the migrations build exactly schema.prisma', async (subgraph) => {
    const diff = await diffMigrationsToSchema(subgraph, { engine });
    // On failure the message shows the SQL that is missing from the migrations: create it
    // with `npm run db:migration:create -- --subgraph <subgraph> --name <name>`.
    expect(diff).toBe('');
  });

  test('a column only in schema.prisma is reported', async () => {
    const paths = await copyCarSubgraph(path.join(tempRoot, 'drift'), true);
    const diff = await diffMigrationsToSchema('car', { engine, ...paths });
    expect(diff).toMatch(/ALTER TABLE "car" ADD COLUMN\s+"drift_probe" TEXT;/);
  });
});

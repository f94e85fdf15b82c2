/**
 * The committed migrations of each subgraph must build exactly the schema its
 * schema.prisma describes; otherwise a deployed database differs from what the Prisma
 * client expects. Runs Prisma's schema engine (wasm) on in-memory PGlite: no server needed.
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import {
  SUBGRAPHS,
  createMigration,
  diffMigrationsToSchema,
  startSchemaEngine,
  subgraphPaths,
  usePristineCluster,
  type SchemaEngineHandle,
} from '../../scripts/lib/schema-engine';
import { pgliteTemplate } from '@car-check/test-support/templates';

/** A column that exists in no migration: schema.prisma gets it, the history does not. */
const PROBE_FIELD = '  driftProbe String? @map("drift_probe")';

/**
 * A scratch copy of the car subgraph (schema and migrations) in a temp folder; with
 * `withProbe`, its schema has {@link PROBE_FIELD} as the first field of `model Car`.
 */
async function copyCarSubgraph(
  root: string,
  withProbe: boolean,
): Promise<{ schemaPath: string; migrationsDir: string }> {
  const source = subgraphPaths('car');
  const schemaPath = path.join(root, 'schema.prisma');
  const migrationsDir = path.join(root, 'migrations');
  await cp(source.migrationsDir, migrationsDir, { recursive: true });

  let schema = await readFile(source.schemaPath, 'utf8');
  if (withProbe) {
    const model = /^model Car \{$/m;
    // Fail here, not in a confusing assertion below, if the schema no longer has the model.
    expect(schema).toMatch(model);
    schema = schema.replace(model, (line) => `${line}\n${PROBE_FIELD}`);
  }
  await writeFile(schemaPath, schema, 'utf8');
  return { schemaPath, migrationsDir };
}

let tempRoot: string;
// One engine for every diff in this file: starting one costs seconds (PGlite boots Postgres).
// (createMigration always starts its own: it changes the engine's main database.)
let engine: SchemaEngineHandle | undefined;
beforeAll(async () => {
  tempRoot = await mkdtemp(path.join(os.tmpdir(), 'migrations-drift-'));
  // The engine's databases start from the tests' cached empty cluster (what initdb makes), not
  // from a cluster initdb makes again in this process (several CPU-seconds): initdb is not tested.
  usePristineCluster(await readFile(await pgliteTemplate(null)));
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

describe('createMigration', () => {
  test('writes the missing migration, after which nothing has drifted', async () => {
    const paths = await copyCarSubgraph(path.join(tempRoot, 'create'), true);
    const before = await readdir(paths.migrationsDir);

    const created = await createMigration('car', 'add_drift_probe', paths);

    expect(created).not.toBeNull();
    const folder = path.basename(path.dirname(created ?? ''));
    expect(folder).toMatch(/^\d{14}_add_drift_probe$/);
    expect(await readdir(paths.migrationsDir)).toEqual([...before, folder].sort());
    expect(await readFile(created ?? '', 'utf8')).toMatch(
      /^-- AlterTable\nALTER TABLE "car" ADD COLUMN\s+"drift_probe" TEXT;\n$/,
    );
    await expect(diffMigrationsToSchema('car', { engine, ...paths })).resolves.toBe('');
  });

  test('writes nothing when the schema matches the migrations', async () => {
    const paths = await copyCarSubgraph(path.join(tempRoot, 'unchanged'), false);
    const before = await readdir(paths.migrationsDir);

    await expect(createMigration('car', 'nothing_to_do', paths)).resolves.toBeNull();
    expect(await readdir(paths.migrationsDir)).toEqual(before);
  });

  test('rejects a name that `prisma migrate dev` would rewrite', async () => {
    await expect(createMigration('car', 'Add Color')).rejects.toThrow(/Invalid migration name/);
  });
});

/**
 * `npm run db:migration:create`'s core: createMigration writes the migration that brings the
 * committed history to schema.prisma, and nothing when there is none to write. Runs Prisma's
 * schema engine (wasm) on in-memory PGlite: no server needed.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import {
  createMigration,
  diffMigrationsToSchema,
  startSchemaEngine,
  type SchemaEngineHandle,
} from '../../scripts/lib/schema-engine';
import { copyCarSubgraph } from './carCopy';

let tempRoot: string;
// One engine for the diffs in this file: starting one costs seconds (PGlite boots Postgres).
// (createMigration always starts its own: it changes the engine's main database.)
let engine: SchemaEngineHandle | undefined;
beforeAll(async () => {
  tempRoot = await mkdtemp(path.join(os.tmpdir(), 'migrations-create-'));
  engine = await startSchemaEngine();
});
afterAll(async () => {
  await engine?.close();
  await rm(tempRoot, { recursive: true, force: true });
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

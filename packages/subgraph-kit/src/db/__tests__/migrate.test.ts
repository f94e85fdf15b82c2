import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BACKENDS } from '@car-check/test-support/config';
import { createTestDatabases, type TestDatabases } from '@car-check/test-support/databases';
import { openDatabase, type Database } from '../connect';
import { LogCapture } from '@car-check/test-support/logCapture';
import { applyMigrations, MigrationError, type MigrationProgress } from '../migrate';
import { applyMigrationsWithProgress } from '../progress';

async function migrationsDir(migrations: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
  for (const [name, sql] of Object.entries(migrations)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

const tableExists = async (database: Database, table: string) =>
  (await database.runner.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [table]))[0]?.found !=
  null;

describe.each(BACKENDS)('applyMigrations (%s)', (backend) => {
  let databases: TestDatabases;
  let database: Database;
  const dirs: string[] = [];
  let opened = 0;

  beforeAll(async () => {
    databases = await createTestDatabases(backend);
  });
  afterAll(async () => {
    await databases.drop();
  });
  // Each test starts empty: PGlite, a new in-memory database; PostgreSQL, a new schema (each
  // subgraph's place in production) of the file's database, rather than a database created and
  // dropped for every test.
  beforeEach(async () => {
    database = await openDatabase(databases.target(`migrate_test_${++opened}`));
  });
  afterEach(async () => {
    await database.close();
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function dir(migrations: Record<string, string>) {
    const created = await migrationsDir(migrations);
    dirs.push(created);
    return created;
  }

  it('applies pending migrations in name order, once', async () => {
    const migrations = await dir({
      '2_add_column': 'ALTER TABLE "thing" ADD COLUMN "size" INTEGER;',
      '1_init': 'CREATE TABLE "thing" ("id" INTEGER PRIMARY KEY);',
    });
    expect(await applyMigrations(database.runner, migrations)).toEqual({
      applied: ['1_init', '2_add_column'],
      wasEmpty: true,
    });
    expect(await applyMigrations(database.runner, migrations)).toEqual({ applied: [], wasEmpty: false });
    const history = await database.runner.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(history.map((row) => row.migration_name)).toEqual(['1_init', '2_add_column']);
    expect(history.every((row) => /^[0-9a-f]{64}$/.test(row.checksum))).toBe(true);
  });

  it('rolls a failing migration back completely and reports it', async () => {
    const migrations = await dir({
      '1_init': 'CREATE TABLE "thing" ("id" INTEGER PRIMARY KEY);',
      '2_broken': 'CREATE TABLE "half" ("id" INTEGER); SELECT * FROM "missing_table";',
    });
    await expect(applyMigrations(database.runner, migrations)).rejects.toThrow(/2_broken failed/);
    expect(await tableExists(database, 'thing')).toBe(true);
    expect(await tableExists(database, 'half')).toBe(false);
    const names = await database.runner.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations"',
    );
    expect(names.map((row) => row.migration_name)).toEqual(['1_init']);
  });

  it('reports each pending migration as it starts and once it has committed: n of m, in order', async () => {
    const migrations = await dir({ '1_init': 'CREATE TABLE "thing" ("id" INTEGER PRIMARY KEY);' });
    await applyMigrations(database.runner, migrations);
    await mkdir(path.join(migrations, '2_add_column'));
    await writeFile(
      path.join(migrations, '2_add_column', 'migration.sql'),
      'ALTER TABLE "thing" ADD COLUMN "size" INTEGER;',
    );
    await mkdir(path.join(migrations, '3_index'));
    await writeFile(
      path.join(migrations, '3_index', 'migration.sql'),
      'CREATE INDEX "thing_size" ON "thing" ("size");',
    );

    const events: MigrationProgress[] = [];
    const result = await applyMigrations(database.runner, migrations, { onProgress: (event) => events.push(event) });
    expect(result.applied).toEqual(['2_add_column', '3_index']);
    // Only the pending ones count: 1_init was applied before.
    expect(events).toEqual([
      { phase: 'start', name: '2_add_column', index: 1, total: 2 },
      { phase: 'done', name: '2_add_column', index: 1, total: 2, durationMs: expect.any(Number) },
      { phase: 'start', name: '3_index', index: 2, total: 2 },
      { phase: 'done', name: '3_index', index: 2, total: 2, durationMs: expect.any(Number) },
    ]);
    expect(events.every((event) => event.durationMs === undefined || event.durationMs >= 0)).toBe(true);

    events.length = 0;
    await applyMigrations(database.runner, migrations, { onProgress: (event) => events.push(event) });
    expect(events).toEqual([]);
  });

  it('reports a failing migration as started, never as done', async () => {
    const migrations = await dir({
      '1_init': 'CREATE TABLE "thing" ("id" INTEGER PRIMARY KEY);',
      '2_broken': 'SELECT * FROM "missing_table";',
    });
    const events: MigrationProgress[] = [];
    await expect(
      applyMigrations(database.runner, migrations, { onProgress: (event) => events.push(event) }),
    ).rejects.toThrow(MigrationError);
    expect(events.map((event) => `${event.phase} ${event.index}/${event.total} ${event.name}`)).toEqual([
      'start 1/2 1_init',
      'done 1/2 1_init',
      'start 2/2 2_broken',
    ]);
  });

  it('logs each migration as it starts and a summary with the total time (applyMigrationsWithProgress)', async () => {
    const migrations = await dir({
      '1_init': 'CREATE TABLE "thing" ("id" INTEGER PRIMARY KEY);',
      '2_add_column': 'ALTER TABLE "thing" ADD COLUMN "size" INTEGER;',
    });
    const logs = new LogCapture('migrate-test');
    const result = await applyMigrationsWithProgress(database, migrations, logs.log);
    expect(result).toEqual({ applied: ['1_init', '2_add_column'], wasEmpty: true, durationMs: expect.any(Number) });
    const lines = logs.entries().filter((entry) => entry.level === 30);
    expect(lines.map((entry) => entry.msg)).toEqual([
      'applying migration 1 of 2: 1_init',
      'applying migration 2 of 2: 2_add_column',
      expect.stringMatching(/^applied 2 migrations in \d+(\.\d)? m?s$/),
    ]);
    expect(lines.map((entry) => entry.progress)).toEqual([
      { step: 'migration', phase: 'start', index: 1, total: 2, migration: '1_init' },
      { step: 'migration', phase: 'start', index: 2, total: 2, migration: '2_add_column' },
      {
        step: 'migrations',
        phase: 'done',
        durationMs: result.durationMs,
        total: 2,
        applied: ['1_init', '2_add_column'],
      },
    ]);
    // Each migration's own duration, at debug level.
    expect(
      logs
        .entries()
        .filter((entry) => entry.level === 20)
        .map((entry) => (entry.progress as { durationMs?: unknown }).durationMs),
    ).toEqual([expect.any(Number), expect.any(Number)]);

    const again = new LogCapture('migrate-test');
    await applyMigrationsWithProgress(database, migrations, again.log);
    expect(again.entries().map((entry) => entry.msg)).toEqual([
      expect.stringMatching(/^migrations already up to date \(checked in /),
    ]);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const migrations = await dir({ '1_init': 'CREATE TABLE "thing" ("id" INTEGER PRIMARY KEY);' });
    await applyMigrations(database.runner, migrations);
    await writeFile(path.join(migrations, '1_init', 'migration.sql'), 'CREATE TABLE "other" ("id" INTEGER);');
    await expect(applyMigrations(database.runner, migrations)).rejects.toThrow(MigrationError);
    await expect(applyMigrations(database.runner, migrations)).rejects.toThrow(/edited/);
  });
});

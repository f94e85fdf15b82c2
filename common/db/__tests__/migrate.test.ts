import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BACKENDS } from '../../../test/support/config';
import { createTestDatabases, type TestDatabases } from '../../../test/support/databases';
import { openDatabase, type Database } from '../connect';
import { applyMigrations, MigrationError } from '../migrate';

async function migrationsDir(migrations: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
  for (const [name, sql] of Object.entries(migrations)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

const tableExists = async (database: Database, table: string) =>
  (await database.runner.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [table]))[0]?.found != null;

describe.each(BACKENDS)('applyMigrations (%s)', (backend) => {
  let databases: TestDatabases;
  let database: Database;
  const dirs: string[] = [];

  beforeEach(async () => {
    databases = await createTestDatabases(backend);
    database = await openDatabase(databases.target('migrate_test'));
  });
  afterEach(async () => {
    await database.close();
    await databases.drop();
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
    expect(await applyMigrations(database.runner, migrations)).toEqual({ applied: ['1_init', '2_add_column'], wasEmpty: true });
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
    const names = await database.runner.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations"');
    expect(names.map((row) => row.migration_name)).toEqual(['1_init']);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const migrations = await dir({ '1_init': 'CREATE TABLE "thing" ("id" INTEGER PRIMARY KEY);' });
    await applyMigrations(database.runner, migrations);
    await writeFile(path.join(migrations, '1_init', 'migration.sql'), 'CREATE TABLE "other" ("id" INTEGER);');
    await expect(applyMigrations(database.runner, migrations)).rejects.toThrow(MigrationError);
    await expect(applyMigrations(database.runner, migrations)).rejects.toThrow(/edited/);
  });
});

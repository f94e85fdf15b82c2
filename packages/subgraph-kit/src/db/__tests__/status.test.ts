import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BACKENDS } from '@car-check/test-support/config';
import { createTestDatabases, type TestDatabases } from '@car-check/test-support/databases';
import { openDatabase, type Database } from '../connect';
import { applyMigrations, migrationStatus } from '../migrate';

describe.each(BACKENDS)('migration status, as npm run db:status reports it (%s)', (backend) => {
  let databases: TestDatabases;
  let database: Database;
  let dir: string;

  const migration = async (name: string, sql: string) => {
    await mkdir(path.join(dir, name), { recursive: true });
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  };
  const states = async () => (await migrationStatus(database.runner, dir)).map(({ name, state }) => `${state} ${name}`);

  beforeAll(async () => {
    databases = await createTestDatabases(backend);
    database = await openDatabase(databases.target('status_test'));
    dir = await mkdtemp(path.join(os.tmpdir(), 'status-'));
  });
  afterAll(async () => {
    await database?.close();
    await databases?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a database that was never migrated, changing nothing', async () => {
    await migration('1_first', 'CREATE TABLE first_table (id int);');
    expect(await states()).toEqual(['pending 1_first']);
    expect(await states()).toEqual(['pending 1_first']);
  });

  it('tells applied, pending, edited and unknown migrations apart', async () => {
    await applyMigrations(database.runner, dir);
    await migration('2_second', 'CREATE TABLE second_table (id int);');
    expect(await states()).toEqual(['applied 1_first', 'pending 2_second']);

    await migration('1_first', 'CREATE TABLE first_table (id bigint);');
    expect(await states()).toEqual(['edited 1_first', 'pending 2_second']);

    await rm(path.join(dir, '1_first'), { recursive: true });
    expect(await states()).toEqual(['pending 2_second', 'unknown 1_first']);
  });
});

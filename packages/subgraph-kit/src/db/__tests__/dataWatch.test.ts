import { copyFile, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareEmbeddedTemplateFromCache } from '@car-check/test-support/templates';
import { waitFor } from '@car-check/test-support/waitFor';
import { DataFolderLockedError } from '../dataLock';
import { DATA_LOST_SQLSTATE, DataFolderWatch } from '../dataWatch';
import { openDatabase, type Database } from '../connect';

/** initdb and PGlite's start take seconds each; on a loaded 2-core machine, many more. */
const SLOW = 180_000;

const sqlStateOf = (error: unknown) => (error as { code?: unknown }).code;

describe('an embedded database whose data folder goes away under it', () => {
  let parent: string;
  let dataDir: string;
  let database: Database | undefined;
  const lost: Error[] = [];

  beforeAll(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'data-watch-'));
    // Each test's database is created in `parent` from this template, as after a first start: initdb is not what is tested.
    await prepareEmbeddedTemplateFromCache(parent);
  }, SLOW);
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });
  beforeEach(async () => {
    lost.length = 0;
    dataDir = path.join(parent, `db-${Math.random().toString(16).slice(2, 10)}`);
    database = await openDatabase({ kind: 'embedded', dataDir }, undefined, {
      onDataLost: (error) => lost.push(error),
    });
    await database.runner.exec('CREATE TABLE note (id int PRIMARY KEY, body text)');
  }, SLOW);
  afterEach(async () => {
    await database?.close().catch(() => undefined);
    database = undefined;
  });

  it(
    'refuses the next statement, and every one after, with SQLSTATE 58P01, and reports the loss once',
    async () => {
      await database!.runner.query('INSERT INTO note VALUES (1, $1)', ['kept']);
      await rm(dataDir, { recursive: true, force: true });

      const refusal = await database!.runner
        .query('INSERT INTO note VALUES (2, $1)', ['would be lost'])
        .catch((error: unknown) => error);
      expect(sqlStateOf(refusal)).toBe(DATA_LOST_SQLSTATE);
      expect((refusal as Error).message).toContain(`${dataDir} was deleted`);
      await expect(database!.ping()).rejects.toMatchObject({ code: DATA_LOST_SQLSTATE });
      await expect(database!.runner.query('SELECT 1')).rejects.toMatchObject({ code: DATA_LOST_SQLSTATE });
      expect(lost.map((error) => error.message)).toEqual([(refusal as Error).message]);
    },
    SLOW,
  );

  it(
    'notices it while idle (a periodic look), with no statement needed',
    async () => {
      await rm(dataDir, { recursive: true, force: true });
      await waitFor(() => lost.length === 1, 60_000, 'the loss to be reported');
    },
    SLOW,
  );

  it(
    'notices a folder replaced by another cluster (its files are others, though at the same path)',
    async () => {
      // Atomically, so that the folder is never missing meanwhile: another PG_VERSION file in its place.
      const version = path.join(dataDir, 'PG_VERSION');
      await copyFile(version, `${version}.new`);
      await rename(`${version}.new`, version);
      await expect(database!.runner.query('SELECT 1')).rejects.toThrow(`${dataDir} was replaced`);
    },
    SLOW,
  );

  it(
    'rolls back a transaction whose folder went away before it committed',
    async () => {
      const { adapter } = database!;
      const connection = await adapter.connect();
      const tx = await connection.startTransaction();
      await tx.executeRaw({ sql: "INSERT INTO note VALUES (3, 'in a transaction')", args: [], argTypes: [] });
      await rm(dataDir, { recursive: true, force: true });
      await expect(tx.commit()).rejects.toMatchObject({ code: DATA_LOST_SQLSTATE });
    },
    SLOW,
  );

  it(
    'is held by its opener: a second open of the same folder is refused until it is closed',
    async () => {
      await expect(openDatabase({ kind: 'embedded', dataDir })).rejects.toBeInstanceOf(DataFolderLockedError);
      await database!.close();
      database = await openDatabase({ kind: 'embedded', dataDir });
      await expect(database.runner.query('SELECT count(*)::int AS n FROM note')).resolves.toEqual([{ n: 0 }]);
    },
    SLOW,
  );
});

describe('DataFolderWatch', () => {
  it('refuses to watch a folder that holds no cluster', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'data-watch-empty-'));
    try {
      await expect(DataFolderWatch.start(empty, () => undefined)).rejects.toThrow(/no embedded database/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

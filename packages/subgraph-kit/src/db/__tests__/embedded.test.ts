import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { unpackCluster } from '@car-check/test-support/templates';
import { databaseTargetFromEnv } from '../config';
import { openDatabase } from '../connect';
import { DEFAULT_EMBEDDED_SETTINGS, embeddedStartParams, openPGlite, type CreateProgress } from '../embedded';

/** initdb and PGlite's start take seconds each; on a loaded 2-core machine, many more. */
const SLOW = 180_000;

const NAMES = { name: 'car', dataFolder: 'car', defaultSchema: 'car' };

const setting = async (db: { query: <T>(sql: string) => Promise<{ rows: T[] }> }, name: string) =>
  (await db.query<{ value: string }>(`SELECT current_setting('${name}') AS value`)).rows[0]!.value;

describe('embedded database memory settings', () => {
  it('keeps PGlite’s own start parameters and adds the buffer pool and maintenance memory', () => {
    const params = embeddedStartParams({ sharedBuffers: '8MB' });
    expect(params).toEqual(expect.arrayContaining(['--single', 'shared_buffers=8MB', 'maintenance_work_mem=16MB']));
    expect(params[params.indexOf('shared_buffers=8MB') - 1]).toBe('-c');
  });

  it('come from EMBEDDED_SHARED_BUFFERS, 16MB by default, and are validated', () => {
    expect(databaseTargetFromEnv(NAMES, { DATA_DIR: '/data' })).toEqual({
      kind: 'embedded',
      dataDir: '/data/car',
      settings: DEFAULT_EMBEDDED_SETTINGS,
    });
    expect(DEFAULT_EMBEDDED_SETTINGS.sharedBuffers).toBe('16MB');
    expect(databaseTargetFromEnv(NAMES, { DATA_DIR: '/data', EMBEDDED_SHARED_BUFFERS: '64MB' })).toMatchObject({
      settings: { sharedBuffers: '64MB' },
    });
    expect(() => databaseTargetFromEnv(NAMES, { EMBEDDED_SHARED_BUFFERS: 'lots' })).toThrow(/EMBEDDED_SHARED_BUFFERS/);
    // PostgreSQL is configured on its server, not here.
    expect(databaseTargetFromEnv(NAMES, { DATABASE_URL: 'postgresql://u@h/db' })).not.toHaveProperty('settings');
  });

  it('apply to an in-memory database', async () => {
    const db = await openPGlite('memory://', { sharedBuffers: '8MB' });
    try {
      expect(await setting(db, 'shared_buffers')).toBe('8MB');
      // Every file of an in-memory cluster is held in memory: its WAL in 1 MB segments, not 16.
      expect(await setting(db, 'wal_segment_size')).toBe('1MB');
    } finally {
      await db.close();
    }
  });
});

describe('in-memory databases', () => {
  it(
    'each start empty and apart, from one pristine cluster per process, with their own settings',
    async () => {
      const first = await openPGlite('memory://', { sharedBuffers: '8MB' });
      const second = await openPGlite('memory://', { sharedBuffers: '8MB' });
      const third = await openPGlite('memory://', { sharedBuffers: '12MB' });
      try {
        await first.exec('CREATE TABLE only_in_first (id int); INSERT INTO only_in_first VALUES (1);');
        await second.exec('CREATE TABLE only_in_second (id int);');
        const tables = async (db: typeof first) =>
          (
            await db.query<{ name: string }>(
              "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
            )
          ).rows.map((row) => row.name);
        expect(await tables(first)).toEqual(['only_in_first']);
        expect(await tables(second)).toEqual(['only_in_second']);
        expect(await tables(third)).toEqual([]);
        expect(await setting(third, 'shared_buffers')).toBe('12MB');
        // A database opened after the others were written to starts empty too.
        const fourth = await openPGlite('memory://', { sharedBuffers: '8MB' });
        try {
          expect(await tables(fourth)).toEqual([]);
        } finally {
          await fourth.close();
        }
      } finally {
        await Promise.all([first.close(), second.close(), third.close()]);
      }
    },
    SLOW,
  );
});

describe('embedded database on disk', () => {
  /**
   * A template cluster, as initdb makes it in a data folder, for the tests that are about what
   * follows it: made from the in-memory pristine cluster (which this process has anyway) rather
   * than by initdb, which costs several CPU-seconds. The last test runs initdb itself.
   */
  let template: string;
  const templateName = () => {
    const manifest = path.resolve(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
    return `.initdb-template-pglite-${(JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version}`;
  };
  /** Puts the template where the first database created in `parent` looks for it. */
  const withTemplate = async (parent: string) => {
    await cp(template, path.join(parent, templateName()), { recursive: true });
  };
  beforeAll(async () => {
    template = await mkdtemp(path.join(os.tmpdir(), 'embedded-template-'));
    const pristine = await openPGlite('memory://');
    const dump = await pristine.dumpDataDir('none').finally(() => pristine.close());
    // Its files, written as they are (no on-disk PGlite started to load them: a second of CPU).
    await unpackCluster(Buffer.from(await dump.arrayBuffer()), template);
  }, SLOW);
  afterAll(async () => {
    await rm(template, { recursive: true, force: true });
  }, SLOW);

  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'embedded-test-'));
  }, SLOW);
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  }, SLOW);

  it(
    'is created on first open (a copy of its folder’s template, renamed into place), tuned, and reopened with its data',
    async () => {
      const dataDir = path.join(base, 'nested', 'car');
      await mkdir(path.dirname(dataDir));
      await withTemplate(path.dirname(dataDir));
      // A staging folder a killed first start left behind: no process has pid 2^22 + 1
      // (above Linux's pid_max). Another database's is not this one's to remove.
      await mkdir(`${dataDir}.initdb-4194305-deadbeef`, { recursive: true });
      await mkdir(path.join(base, 'nested', 'user.initdb-4194305-deadbeef'));
      const first = await openDatabase({ kind: 'embedded', dataDir });
      try {
        expect(await first.runner.query('SELECT current_setting($1) AS value', ['shared_buffers'])).toEqual([
          { value: '16MB' },
        ]);
        await first.runner.exec('CREATE TABLE kept (id INTEGER PRIMARY KEY); INSERT INTO kept VALUES (7);');
      } finally {
        await first.close();
      }
      // No staging folder of its own left beside it; the template, kept for the next database created there.
      expect((await readdir(path.join(base, 'nested'))).sort()).toEqual([
        expect.stringMatching(/^\.initdb-template-pglite-\d+\.\d+\.\d+$/),
        'car',
        'user.initdb-4194305-deadbeef',
      ]);
      expect(await readdir(dataDir)).toContain('PG_VERSION');

      const second = await openDatabase({ kind: 'embedded', dataDir, settings: { sharedBuffers: '32MB' } });
      try {
        expect(await second.runner.query('SELECT id FROM kept')).toEqual([{ id: 7 }]);
        expect(await second.runner.query('SELECT current_setting($1) AS value', ['shared_buffers'])).toEqual([
          { value: '32MB' },
        ]);
      } finally {
        await second.close();
      }
    },
    SLOW,
  );

  it(
    'fills an existing empty directory in place (e.g. a mount point)',
    async () => {
      const mount = path.join(base, 'mount');
      await mkdir(mount);
      await withTemplate(base);
      const db = await openPGlite(mount);
      try {
        expect(await setting(db, 'shared_buffers')).toBe('16MB');
      } finally {
        await db.close();
      }
      expect(await readdir(mount)).toContain('PG_VERSION');
    },
    SLOW,
  );

  it(
    'runs initdb once for several databases created at once beside each other, and says so',
    async () => {
      const names = ['car', 'cost-center', 'user'];
      const events: Record<string, CreateProgress[]> = Object.fromEntries(names.map((name) => [name, []]));
      const databases = await Promise.all(
        names.map((name) =>
          openDatabase({ kind: 'embedded', dataDir: path.join(base, name) }, undefined, {
            onCreate: (event) => events[name]!.push(event),
          }),
        ),
      );
      try {
        // Made by initdb in a child process with the embedded clusters' options (1 MB WAL segments).
        for (const database of databases)
          expect(await database.runner.query('SELECT current_setting($1) AS value', ['wal_segment_size'])).toEqual([
            { value: '1MB' },
          ]);
        // Each is its own database: what one stores, the others do not see.
        await databases[0]!.runner.exec('CREATE TABLE only_here (id INTEGER)');
        for (const database of databases.slice(1)) {
          expect(await database.runner.query(`SELECT to_regclass('only_here')::text AS found`)).toEqual([
            { found: null },
          ]);
        }
      } finally {
        await Promise.all(databases.map((database) => database.close()));
      }
      for (const name of names) {
        expect([name, events[name]!.map((event) => event.phase)]).toEqual([name, ['start', 'done']]);
        expect(events[name]![1]).toEqual({
          phase: 'done',
          durationMs: expect.any(Number),
          ranInitdb: expect.any(Boolean),
        });
      }
      expect(names.filter((name) => (events[name]![1] as { ranInitdb: boolean }).ranInitdb)).toHaveLength(1);
      expect((await readdir(base)).filter((entry) => entry.includes('.lock') || /\.initdb-\d+-/.test(entry))).toEqual(
        [],
      );

      // Opening an existing database creates nothing, and reports nothing.
      const reopened: CreateProgress[] = [];
      const again = await openDatabase({ kind: 'embedded', dataDir: path.join(base, 'car') }, undefined, {
        onCreate: (event) => reopened.push(event),
      });
      await again.close();
      expect(reopened).toEqual([]);
    },
    SLOW,
  );
});

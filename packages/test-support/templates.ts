import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { subgraphRegistration } from '@car-check/service-kit';
import {
  applyMigrations,
  type DatabaseTarget,
  INITDB_OPTIONS,
  openDatabase,
  openPGlite,
  pgliteRunner,
  quoteIdent,
  readMigrations,
} from '@car-check/subgraph-kit';
import type { Backend } from './config';
import { onceEach } from './onceEach';
import { databaseUrl, withAdmin } from './postgresAdmin';
import { subgraphUnderTest, type SubgraphName } from './subgraphs';

/**
 * Databases for the graph's tests that start with every migration applied, copied from a template
 * made once: every test file's first PGlite database ran initdb (several CPU-seconds; the pristine
 * cluster is cached per module registry, that is per file), and every boot migrated five
 * databases. Booting still runs the migrations (they find nothing to do) and seeds, so a test sees
 * what it saw before.
 *
 * The templates are named by a hash of the migrations (and of PGlite's version and the migration
 * runner), so a changed migration makes a new one and an old one is never used; they outlive the
 * run, as jest's cache does. PostgreSQL: a database `car_check_template_<hash>` with each subgraph
 * in its schema (one for the whole graph, one per subgraph tested alone), copied by
 * `CREATE DATABASE … TEMPLATE`. PGlite: a file of `dumpDataDir` per subgraph in
 * `<tmp>/car-check-test-templates`, loaded into each new in-memory database.
 * Suites about migrations themselves use createTestDatabases (empty databases).
 */
export interface MigratedDatabases {
  /** A fresh database target for the subgraph, its migrations applied. */
  target(name: SubgraphName): Promise<DatabaseTarget>;
  /** Drops everything the tests created (not the templates). */
  drop(): Promise<void>;
}

/**
 * Databases for the subgraphs `names` (all of a graph, or the one a subgraph's own tests start: they
 * load nothing of the others, not even their definitions).
 */
export async function createMigratedDatabases(backend: Backend, names: SubgraphName[]): Promise<MigratedDatabases> {
  if (backend === 'pglite') {
    return {
      target: async (name) => ({ kind: 'embedded', dataDir: 'memory://', loadFrom: await pgliteTemplate(name) }),
      drop: async () => undefined,
    };
  }
  const template = await postgresTemplate(names);
  const name = `car_check_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`));
  return {
    target: async (subgraph) => ({
      kind: 'postgres',
      url: databaseUrl(name),
      schema: subgraphUnderTest(subgraph).spec.defaultSchema,
      poolSize: 5,
    }),
    drop: async () => {
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
    },
  };
}

const PGLITE_TEMPLATES = path.join(os.tmpdir(), 'car-check-test-templates');

/**
 * A subgraph's PGlite template file with its migrations applied; for null, an empty cluster (what
 * initdb makes). Made or found once per process (a test file).
 */
export const pgliteTemplate: (name: SubgraphName | null) => Promise<string> = onceEach(makePgliteTemplate);

async function makePgliteTemplate(name: SubgraphName | null): Promise<string> {
  const names = name === null ? [] : [name];
  const file = path.join(
    PGLITE_TEMPLATES,
    `${name ?? 'empty'}-${await migrationsHash(names, pgliteVersion(), ...INITDB_OPTIONS)}.tar`,
  );
  // Marked as used (its time is what pruning goes by), and found, at once.
  const now = new Date();
  const found = await utimes(file, now, now).then(
    () => true,
    () => false,
  );
  if (found) return file;
  await pruneUnusedTemplates();
  const db = await openPGlite('memory://');
  try {
    if (name !== null) await applyMigrations(pgliteRunner(db), subgraphRegistration(name).migrationsDir);
    const dump = await db.dumpDataDir('none');
    await mkdir(PGLITE_TEMPLATES, { recursive: true });
    // Written aside and renamed, so a reader never loads half a file; two workers making the
    // same one at once both write the same content.
    const staging = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(staging, Buffer.from(await dump.arrayBuffer()));
    await rename(staging, file);
  } finally {
    await db.close();
  }
  return file;
}

/** A template unused this long (its migrations changed since, or its checkout is gone) is deleted. */
const UNUSED_FOR_MS = 7 * 24 * 3600_000;

/** Deletes the templates (and staging files) no test file has used for a week: 40 MB each. */
async function pruneUnusedTemplates(): Promise<void> {
  const entries = await readdir(PGLITE_TEMPLATES).catch(() => []);
  for (const entry of entries) {
    const file = path.join(PGLITE_TEMPLATES, entry);
    const info = await stat(file).catch(() => null);
    if (info && Date.now() - info.mtimeMs > UNUSED_FOR_MS) await rm(file, { force: true });
  }
}

/** A PGlite release may change the format of its data directory. */
function pgliteVersion(): string {
  const manifest = path.resolve(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Held (on the admin connection) while one process looks for the PostgreSQL template or makes it. */
const POSTGRES_TEMPLATE_LOCK = 0x63617274; // 'cart', any key no other code takes

/** Of this process (a test file): the PostgreSQL template of each set of subgraphs, once made or found. */
/** The PostgreSQL template database of these subgraphs, found or made once per process (a test file). */
const postgresTemplate = onceEach(findOrMakePostgresTemplate, (names: SubgraphName[]) => names.join(','));

async function findOrMakePostgresTemplate(names: SubgraphName[]): Promise<string> {
  const template = `car_check_template_${(await migrationsHash(names)).slice(0, 16)}`;
  await withAdmin(async (admin) => {
    // Two workers (or two checkouts on one server) must not both make it.
    await admin.query('SELECT pg_advisory_lock($1)', [POSTGRES_TEMPLATE_LOCK]);
    try {
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (found.rowCount) return;
      const staging = `${template}_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${quoteIdent(staging)}`);
      try {
        for (const name of names) {
          const schema = subgraphUnderTest(name).spec.defaultSchema;
          const database = await openDatabase({ kind: 'postgres', url: databaseUrl(staging), schema, poolSize: 1 });
          try {
            await applyMigrations(database.runner, subgraphRegistration(name).migrationsDir);
          } finally {
            await database.close();
          }
        }
        // Only a complete template gets the name that others look for.
        await admin.query(`ALTER DATABASE ${quoteIdent(staging)} RENAME TO ${quoteIdent(template)}`);
      } catch (error) {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(staging)} WITH (FORCE)`).catch(() => undefined);
        throw error;
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [POSTGRES_TEMPLATE_LOCK]);
    }
  });
  return template;
}

/** A hash of the subgraphs' migrations (names and checksums), and of anything else that shapes a template. */
async function migrationsHash(names: SubgraphName[], ...extra: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const name of names) {
    hash.update(`${name}\n`);
    for (const migration of await readMigrations(subgraphRegistration(name).migrationsDir)) {
      hash.update(`${migration.name} ${migration.checksum}\n`);
    }
  }
  for (const value of extra) hash.update(`${value}\n`);
  // The migration runner itself: it writes the history table every boot then reads.
  hash.update(await readFile(MIGRATION_RUNNER));
  return hash.digest('hex').slice(0, 16);
}

const MIGRATION_RUNNER = path.resolve(__dirname, '..', 'subgraph-kit', 'src', 'db', 'migrate.ts');

/**
 * Puts an initdb template cluster in `parent` (a DATA_DIR, or the parent of an embedded data folder),
 * where the first embedded database created there looks for it (`.initdb-template-pglite-<version>`,
 * see packages/subgraph-kit/src/db/embedded.ts): for the tests about what follows a first start,
 * not about initdb. The template is the empty cluster of {@link pgliteTemplate} (what initdb makes,
 * kept between runs), unpacked as files; initdb in a child process costs about 6 CPU-seconds, this
 * a fraction of one. Does nothing if `parent` has a template already.
 */
export async function prepareEmbeddedTemplateFromCache(parent: string): Promise<void> {
  const template = path.join(parent, `.initdb-template-pglite-${pgliteVersion()}`);
  if (
    await stat(path.join(template, 'PG_VERSION')).then(
      () => true,
      () => false,
    )
  )
    return;
  const tar = await readFile(await pgliteTemplate(null));
  const staging = `${template}.${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await unpackCluster(tar, staging);
    await rename(staging, template);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Unpacks a cluster dumped by PGlite's dumpDataDir('none') (a tar of the data folder) into `dir`, as
 * an on-disk PGlite loading it would write it, but for the dumped instance's postmaster.pid: the files
 * initdb's template has, no more.
 */
export async function unpackCluster(dump: Buffer, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await pipeline(
    Readable.from([dump]),
    // The lock file of the instance the dump was taken from: initdb leaves none.
    tar.x({ cwd: dir, filter: (entry) => path.normalize(`/${entry}`) !== '/postmaster.pid' }),
  );
}

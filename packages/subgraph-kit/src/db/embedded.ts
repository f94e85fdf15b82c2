import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { isAlive } from '@car-check/service-kit';

/**
 * The embedded database (PGlite: PostgreSQL compiled to WebAssembly, in the
 * subgraph's own process, on the subgraph's own data directory).
 *
 * Why it is tuned (see scripts/measure-memory.ts and docs/performance.md):
 * with PGlite's defaults each subgraph held ~550 MB RSS at idle after a first
 * start, against ~155 MB on PostgreSQL. Its two largest parts:
 *
 * 1. `shared_buffers` = 128MB. PGlite runs PostgreSQL in single-user mode inside
 *    the WebAssembly memory, and the shared memory segment (buffer pool included)
 *    is allocated and written there at start-up, so all of it is resident from
 *    the first second; and WebAssembly memory never shrinks. 16MB holds a whole
 *    demo subgraph database (~8 MB, catalogs included), so it is read once;
 *    beyond that PostgreSQL reads through the OS page cache (EMBEDDED_SHARED_BUFFERS
 *    raises it). This alone takes ~120 MB off every process.
 *    `maintenance_work_mem` (64MB by default) is lowered to 16MB so that an index
 *    build in a migration cannot grow the never-shrinking memory by more than that.
 *
 * 2. initdb on the first start: PGlite creates a new cluster with a second,
 *    temporary PostgreSQL instance plus initdb's own WebAssembly module, inside
 *    the calling process. Both are closed afterwards, but the process keeps
 *    ~130 MB more RSS for good (allocator arenas, compiled code) and peaks near
 *    1 GB. We run that step in a short-lived child process instead (the same
 *    work, in another process that exits): the service only ever opens an
 *    existing cluster.
 *
 * 3. initdb is also the slow step of a first start (~6 CPU-seconds each; on 2 cores
 *    three at once took ~16 s). It runs once per data folder's parent: the first
 *    database created there makes a template cluster (`.initdb-template-pglite-<version>`,
 *    ~40 MB, kept for later creations), and each new database is a copy of it,
 *    which takes under a second. Several processes creating databases at once
 *    (npm start's subgraphs) take turns through a lock file: one runs initdb, the
 *    others wait for its template.
 *
 * 4. PostgreSQL's compiled WebAssembly (~75 MB) is per process, shared by every PGlite
 *    instance in it: `npm start` runs all its subgraphs in one process (the subgraph host,
 *    server/subgraphHost.ts), each with its own instance on its own data directory, so
 *    that code is there once, not once per subgraph. (It also runs them with V8's
 *    `--liftoff-only`, which keeps WebAssembly from being optimised and its code small:
 *    scripts/lib/serviceLaunch.ts.)
 *
 * Not done, and why: `initialMemory` cannot go below the 128 MB the WebAssembly
 * module declares, and pages never touched cost nothing anyway; one embedded
 * server shared over the wire protocol would still need one PGlite instance (one
 * WebAssembly memory) per database, since single-user PostgreSQL serves one
 * database, and would save less than the host does.
 */

/** PostgreSQL settings for the embedded database; `-c` start options, so nothing is written to postgresql.conf. */
export interface EmbeddedSettings {
  /** Buffer pool, e.g. `16MB`. */
  sharedBuffers: string;
}

export const DEFAULT_EMBEDDED_SETTINGS: EmbeddedSettings = { sharedBuffers: '16MB' };

/** Upper bound on memory for index builds in migrations (PostgreSQL's default is 64MB). */
const MAINTENANCE_WORK_MEM = '16MB';

/** PGlite's own start parameters plus ours. */
export function embeddedStartParams(settings: EmbeddedSettings = DEFAULT_EMBEDDED_SETTINGS): string[] {
  return [
    ...PGlite.defaultStartParams,
    '-c',
    `shared_buffers=${settings.sharedBuffers}`,
    '-c',
    `maintenance_work_mem=${MAINTENANCE_WORK_MEM}`,
  ];
}

/**
 * Creating a new cluster: when it starts, and when it is done with its duration and
 * whether this process ran initdb (else it copied a template another process made).
 */
export type CreateProgress = { phase: 'start' } | { phase: 'done'; durationMs: number; ranInitdb: boolean };

/**
 * Opens (creating it first if needed) the embedded database at `dataDir`, or in memory for `memory://`.
 * `onCreate` hears of the creation, the slow step of a first start, and only when it happens.
 * `loadFrom` (in memory only) is a `dumpDataDir` file to start from instead of a pristine cluster.
 */
export async function openPGlite(
  dataDir: string,
  settings: EmbeddedSettings = DEFAULT_EMBEDDED_SETTINGS,
  onCreate?: (event: CreateProgress) => void,
  loadFrom?: string,
): Promise<PGlite> {
  const startParams = embeddedStartParams(settings);
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) await createClusterIfMissing(dataDir, startParams, onCreate);
  const initial = () => (loadFrom ? readFile(loadFrom).then((bytes) => new BytesBlob(bytes)) : pristineCluster());
  const db = new PGlite(dataDir, {
    startParams,
    ...(inMemory ? { loadDataDir: await initial() } : {}),
  });
  await db.waitReady;
  return db;
}

/**
 * A Blob over bytes already in memory, for PGlite's `loadDataDir`, which only calls `arrayBuffer()`.
 * Node's own Blob copies the bytes when made and again, in chunks, when read: for a 40 MB cluster
 * that was about a third of the CPU of opening a database from it (the tests open hundreds).
 */
class BytesBlob extends Blob {
  readonly contents: Uint8Array;

  constructor(contents: Uint8Array) {
    super([]);
    this.contents = contents;
    // The Blob made by super() is empty; its size is that of the bytes it stands for.
    Object.defineProperty(this, 'size', { value: contents.byteLength });
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    const { buffer, byteOffset, byteLength } = this.contents;
    // readFile gives a Buffer of its own for a file this size; a view into a larger one is copied out.
    if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength)
      return Promise.resolve(buffer);
    return Promise.resolve(this.contents.slice().buffer);
  }
}

/**
 * initdb's options for every embedded cluster: WAL in 1 MB segments, not 16. An in-memory database
 * keeps every file of its cluster in the process's memory and copies all of them in when it opens;
 * the 16 MB WAL segment was 40 % of an empty cluster (40 MB), and 1 MB segments make opening one
 * about a fifth cheaper. On disk, the same options, so that the tests' clusters are the users';
 * a cluster made before keeps its 16 MB segments (the size is fixed when a cluster is made).
 */
export const INITDB_OPTIONS = ['--wal-segsize=1'];

/** The pristine cluster (what initdb makes), once per process. */
let pristine: Promise<Blob> | undefined;

/**
 * A throw-away (`memory://`) database starts from a copy of a pristine cluster held in memory:
 * loading one takes about 0.3 s, where initdb takes about 2 s of CPU every time (a process that
 * opens many, as the tests do, ran initdb for each). Made once, by the first that needs it, and
 * shared whatever the settings: they are `-c` options of each start, not written in the cluster.
 */
function pristineCluster(): Promise<Blob> {
  if (!pristine) {
    const cluster = (async () => {
      const db = new PGlite('memory://', { startParams: embeddedStartParams(), initDbStartParams: INITDB_OPTIONS });
      try {
        await db.waitReady;
        // Uncompressed: loading it is then a copy (gzip would save memory and cost more time).
        return await db.dumpDataDir('none');
      } finally {
        await db.close();
      }
    })();
    pristine = cluster;
    // A failure is not kept: the next database tries again.
    cluster.catch(() => {
      if (pristine === cluster) pristine = undefined;
    });
  }
  return pristine;
}

type DataDirState = 'absent' | 'empty' | 'cluster' | 'other';

async function dataDirState(dataDir: string): Promise<DataDirState> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  if (entries.includes('PG_VERSION')) return 'cluster';
  return entries.length === 0 ? 'empty' : 'other';
}

/**
 * Creates the cluster of a data directory that has none yet: a copy of the
 * template, which initdb makes in a child process (see above). A directory that does not exist yet is created under a temporary
 * name and renamed into place, so an interrupted first start leaves no half-made
 * cluster behind; an existing empty one (a mount point, say) is filled in place.
 * Anything else (files but no cluster) is left to PGlite, as before.
 */
async function createClusterIfMissing(
  dataDir: string,
  startParams: string[],
  onCreate: (event: CreateProgress) => void = () => {},
): Promise<void> {
  const state = await dataDirState(dataDir);
  if (state === 'cluster' || state === 'other') return;
  const startedAt = performance.now();
  onCreate({ phase: 'start' });
  const ranInitdb = await createCluster(dataDir, state, startParams);
  onCreate({ phase: 'done', durationMs: Math.round(performance.now() - startedAt), ranInitdb });
}

/** Resolves to whether this process ran initdb. */
async function createCluster(dataDir: string, state: 'absent' | 'empty', startParams: string[]): Promise<boolean> {
  await mkdir(path.dirname(dataDir), { recursive: true });
  await removeStaleStaging(dataDir);
  // Where the parent is not ours to write in (a read-only mount, say), initdb for this database alone.
  const made = await ensureTemplate(path.dirname(dataDir), startParams).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EACCES' || error.code === 'EPERM' || error.code === 'EROFS') return null;
    throw error;
  });
  const fill = (target: string) =>
    made ? cp(made.template, target, { recursive: true }) : runInitdb(target, startParams);
  const ranInitdb = made ? made.ranInitdb : true;
  if (state === 'empty') {
    await fill(dataDir);
    return ranInitdb;
  }
  const staging = stagingName(dataDir);
  try {
    await fill(staging);
    await rename(staging, dataDir);
  } catch (error) {
    // Another process created the cluster meanwhile: use theirs.
    if ((await dataDirState(dataDir)) !== 'cluster') throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return ranInitdb;
}

const stagingName = (dir: string) => `${dir}.initdb-${process.pid}-${randomBytes(4).toString('hex')}`;

/** The cluster format is PGlite's (its PostgreSQL version): a new PGlite gets a new template. */
function pgliteVersion(): string {
  const packageJson = path.resolve(path.dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/**
 * Makes the initdb template in `parent` (a DATA_DIR) if it is not there yet, as the first
 * database created there would: a folder prepared so, databases created in it are copies.
 */
export async function prepareEmbeddedTemplate(
  parent: string,
  settings: EmbeddedSettings = DEFAULT_EMBEDDED_SETTINGS,
): Promise<void> {
  await mkdir(parent, { recursive: true });
  await ensureTemplate(parent, embeddedStartParams(settings));
}

/** How long a process waits for another's template before making one itself. */
const TEMPLATE_WAIT_MS = 150_000;

/**
 * The template cluster in `parent`, made by initdb if it is not there yet (see 3.
 * above). One process at a time makes it: it holds `<template>.lock` (its pid
 * inside); the others poll until the template exists, or take over the lock of
 * a process that is gone.
 */
async function ensureTemplate(
  parent: string,
  startParams: string[],
): Promise<{ template: string; ranInitdb: boolean }> {
  const template = path.join(parent, `.initdb-template-pglite-${pgliteVersion()}`);
  const lock = `${template}.lock`;
  const deadline = Date.now() + TEMPLATE_WAIT_MS;
  for (;;) {
    if ((await dataDirState(template)) === 'cluster') return { template, ranInitdb: false };
    const handle = await open(lock, 'wx').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return null;
      throw error;
    });
    if (handle) {
      try {
        await handle.writeFile(String(process.pid));
        await handle.close();
        // Made by another process between our look and our lock.
        if ((await dataDirState(template)) === 'cluster') return { template, ranInitdb: false };
        await removeStaleStaging(template);
        const staging = stagingName(template);
        try {
          await runInitdb(staging, startParams);
          await rename(staging, template).catch(async (error: unknown) => {
            // Two processes that both took over a stale lock: the first template stays.
            if ((await dataDirState(template)) !== 'cluster') throw error;
          });
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
        return { template, ranInitdb: true };
      } finally {
        await rm(lock, { force: true });
      }
    }
    if (await isStaleLock(lock)) {
      await rm(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${lock} (another process creating the embedded database template)`);
    await delay(200);
  }
}

/** A lock whose process is gone (or that never got its pid written, a while ago). */
async function isStaleLock(lock: string): Promise<boolean> {
  const [content, info] = await Promise.all([readFile(lock, 'utf8').catch(() => null), stat(lock).catch(() => null)]);
  if (content === null || info === null) return false; // released meanwhile: look again
  const pid = Number(content);
  if (content === '' || !Number.isInteger(pid)) return Date.now() - info.mtimeMs > 10_000;
  return !isAlive(pid);
}

const STAGING = /^(.+)\.initdb-(\d+)-[0-9a-f]{8}$/;

/** Staging folders of first starts that were killed before their rename (their process is gone). */
async function removeStaleStaging(dataDir: string): Promise<void> {
  const parent = path.dirname(dataDir);
  for (const entry of await readdir(parent)) {
    const match = STAGING.exec(entry);
    if (!match || match[1] !== path.basename(dataDir) || isAlive(Number(match[2]))) continue;
    await rm(path.join(parent, entry), { recursive: true, force: true });
  }
}

// Plain CommonJS for `node -e`: needs neither tsx nor the project's sources.
const INITDB_SCRIPT = `
const [, pglitePath, dataDir, startParams, initdbOptions] = process.argv;
const { PGlite } = require(pglitePath);
(async () => {
  const db = new PGlite(dataDir, { startParams: JSON.parse(startParams), initDbStartParams: JSON.parse(initdbOptions) });
  await db.waitReady;
  await db.close();
})().then(
  () => process.exit(0),
  (error) => { console.error(error && error.stack ? error.stack : String(error)); process.exit(1); },
);`;

const INITDB_TIMEOUT_MS = 120_000;

function runInitdb(dataDir: string, startParams: string[]): Promise<void> {
  const pglitePath = require.resolve('@electric-sql/pglite');
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-e', INITDB_SCRIPT, pglitePath, dataDir, JSON.stringify(startParams), JSON.stringify(INITDB_OPTIONS)],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        // Only what node itself needs: no NODE_OPTIONS (--import tsx, inspectors) from the parent.
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), INITDB_TIMEOUT_MS);
    // Should this process exit meanwhile, initdb does not go on alone.
    const killChild = () => child.kill('SIGKILL');
    process.once('exit', killChild);
    const done = () => {
      clearTimeout(timer);
      process.removeListener('exit', killChild);
    };
    child.once('error', (error) => {
      done();
      reject(new Error(`Could not start initdb for the embedded database at ${dataDir}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      done();
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `initdb for the embedded database at ${dataDir} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`,
          ),
        );
    });
  });
}

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * The embedded database (PGlite: PostgreSQL compiled to WebAssembly, in the
 * subgraph's own process, on the subgraph's own data directory).
 *
 * Why it is tuned (see scripts/measure-memory.ts and the README's memory table):
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
 * Not done, and why: `initialMemory` cannot go below the 128 MB the WebAssembly
 * module declares, and pages never touched cost nothing anyway; one embedded
 * server shared over the wire protocol would still need one PGlite instance (one
 * WebAssembly memory) per database, since single-user PostgreSQL serves one
 * database, so it would save little and add a process to supervise; running V8
 * with `--liftoff-only` saves ~50 MB more per process but slows every WebAssembly
 * module in it (Prisma's query compiler too).
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

/** Opens (creating it first if needed) the embedded database at `dataDir`, or in memory for `memory://`. */
export async function openPGlite(dataDir: string, settings: EmbeddedSettings = DEFAULT_EMBEDDED_SETTINGS): Promise<PGlite> {
  const startParams = embeddedStartParams(settings);
  if (!dataDir.startsWith('memory://')) await createClusterIfMissing(dataDir, startParams);
  const db = new PGlite(dataDir, { startParams });
  await db.waitReady;
  return db;
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
 * Runs initdb for a data directory that has no cluster yet, in a child process
 * (see above). A directory that does not exist yet is created under a temporary
 * name and renamed into place, so an interrupted first start leaves no half-made
 * cluster behind; an existing empty one (a mount point, say) is filled in place.
 * Anything else (files but no cluster) is left to PGlite, as before.
 */
async function createClusterIfMissing(dataDir: string, startParams: string[]): Promise<void> {
  const state = await dataDirState(dataDir);
  if (state === 'cluster' || state === 'other') return;
  await mkdir(path.dirname(dataDir), { recursive: true });
  await removeStaleStaging(dataDir);
  if (state === 'empty') {
    await runInitdb(dataDir, startParams);
    return;
  }
  const staging = `${dataDir}.initdb-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await runInitdb(staging, startParams);
    await rename(staging, dataDir);
  } catch (error) {
    // Another process created the cluster meanwhile: use theirs.
    if ((await dataDirState(dataDir)) !== 'cluster') throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

const STAGING = /^(.+)\.initdb-(\d+)-[0-9a-f]{8}$/;

/** Staging folders of first starts that were killed before their rename (their process is gone). */
async function removeStaleStaging(dataDir: string): Promise<void> {
  const parent = path.dirname(dataDir);
  for (const entry of await readdir(parent)) {
    const match = STAGING.exec(entry);
    if (!match || match[1] !== path.basename(dataDir) || isRunning(Number(match[2]))) continue;
    await rm(path.join(parent, entry), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Plain CommonJS for `node -e`: needs neither tsx nor the project's sources.
const INITDB_SCRIPT = `
const [, pglitePath, dataDir, startParams] = process.argv;
const { PGlite } = require(pglitePath);
(async () => {
  const db = new PGlite(dataDir, { startParams: JSON.parse(startParams) });
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
    const child = spawn(process.execPath, ['-e', INITDB_SCRIPT, pglitePath, dataDir, JSON.stringify(startParams)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      // Only what node itself needs: no NODE_OPTIONS (--import tsx, inspectors) from the parent.
      env: { ...process.env, NODE_OPTIONS: '' },
    });
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
      else reject(new Error(`initdb for the embedded database at ${dataDir} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
}

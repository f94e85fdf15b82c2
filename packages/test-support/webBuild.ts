import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildWebPages } from '../../scripts/lib/webPages';
import { waitFor } from './waitFor';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Where finished builds are kept, one folder per hash of their inputs, shared by every run on this machine. */
const CACHE_DIR = path.join(os.tmpdir(), 'car-check-web-builds');

/**
 * Everything the built pages depend on besides the environment: the web package (its sources, configs,
 * generated API schema and persisted-document manifest), the supergraph it was generated from, the
 * dependency versions, and how npm start builds and where the gateway looks (the two files below).
 */
const INPUTS = ['web', 'supergraph.graphql', 'package-lock.json', 'scripts/lib/webPages.ts', 'gateway/src/devPages.ts'];
/** Folders under the inputs that are outputs or installed packages, not inputs. */
const NOT_INPUTS = new Set(['node_modules', 'dist']);

/** A builder that died (a killed jest worker) leaves its lock behind; after this long another takes over. */
const STALE_LOCK_MS = 10 * 60_000;
/** Finished builds nobody has asked for in this long are removed (each is a few megabytes). */
const UNUSED_BUILD_MS = 24 * 60 * 60_000;

/** Every input file, as paths from the repository, in a stable order. */
function inputFiles(entry: string): string[] {
  const full = path.join(REPO_ROOT, entry);
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full, { withFileTypes: true })
    .filter((dirent) => !NOT_INPUTS.has(dirent.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((dirent) => inputFiles(path.join(entry, dirent.name)));
}

/** The build variables (VITE_*) the build would see: the test process's own, then `env`'s. */
function buildVariables(env: NodeJS.ProcessEnv): [string, string][] {
  return Object.entries({ ...process.env, ...env })
    .filter((entry): entry is [string, string] => entry[0].startsWith('VITE_') && entry[1] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
}

/** A hash of the inputs and the build variables: equal hashes, identical pages. */
function inputsHash(env: NodeJS.ProcessEnv): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(inputFiles)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(REPO_ROOT, file)));
    hash.update('\0');
  }
  hash.update(JSON.stringify(buildVariables(env)));
  return hash.digest('hex').slice(0, 24);
}

function exists(target: string): boolean {
  try {
    statSync(target);
    return true;
  } catch {
    return false;
  }
}

/** Takes the build's lock (a folder: mkdir is atomic); false if another process holds a fresh one. */
function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const held = statSync(lock, { throwIfNoEntry: false });
    // Released meanwhile: try again.
    if (!held) return tryLock(lock);
    if (Date.now() - held.mtimeMs < STALE_LOCK_MS) return false;
    rmSync(lock, { recursive: true, force: true });
    return tryLock(lock);
  }
}

/** Removes the finished builds of older inputs that no run has used for a day. */
function pruneUnused(keep: string): void {
  for (const name of readdirSync(CACHE_DIR)) {
    const folder = path.join(CACHE_DIR, name);
    if (folder === keep) continue;
    const stats = statSync(folder, { throwIfNoEntry: false });
    if (stats && Date.now() - stats.mtimeMs > UNUSED_BUILD_MS) rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * The console and the explorer built as `npm start` builds them (scripts/lib/webPages.ts, so the pages
 * tested are the ones users get), with `env`'s build variables; resolves to the folder to serve as the
 * gateway's WEB_DIST (its console/ and explorer/). Read-only: it is shared.
 *
 * Each build takes ~8 CPU-seconds per page, and every browser suite needs the same one: the first suite
 * of a run that asks builds it, the others (and later runs, while the inputs are unchanged) reuse it. Two
 * jest workers asking at once build it once: one holds a lock while the other waits, and a build becomes
 * visible only by renaming its finished folder into place.
 */
export async function builtWebPages(env: NodeJS.ProcessEnv = {}): Promise<string> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const hash = inputsHash(env);
  const dist = path.join(CACHE_DIR, hash);
  const lock = `${dist}.lock`;
  for (;;) {
    if (exists(dist)) {
      // Marks it used, for pruneUnused.
      const now = new Date();
      utimesSync(dist, now, now);
      return dist;
    }
    if (tryLock(lock)) break;
    await waitFor(() => exists(dist) || !exists(lock), STALE_LOCK_MS, `the web build ${dist} another test is making`);
  }
  try {
    // Another process may have finished it between the check above and taking the lock.
    if (exists(dist)) return dist;
    const building = `${dist}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    const outcome = await buildWebPages(building, env);
    if (!outcome.startsWith('built')) {
      rmSync(building, { recursive: true, force: true });
      throw new Error(outcome);
    }
    renameSync(building, dist);
    pruneUnused(dist);
    return dist;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

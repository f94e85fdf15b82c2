import { readFileSync, rmSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isAlive } from '@car-check/service-kit';

/**
 * One process at a time on an embedded data folder. PGlite is PostgreSQL in
 * single-user mode: a second process opening the same folder (another `npm start`,
 * or `npm run db:status` against the running graph) would write the same files
 * unsynchronised, and nothing in PGlite prevents it. So whoever opens the folder
 * holds `<folder>.lock` (beside it, so it can be taken before a first start creates
 * the folder) with its pid and its start time inside, until it closes the database
 * or exits; the next one is refused with one line naming the folder and the holder.
 *
 * A holder that crashed leaves its file behind: a lock whose process is gone, or
 * whose pid now belongs to another process (a restarted container reuses low pids),
 * is taken over, as the initdb template lock in embedded.ts is.
 */
export class DataFolderLockedError extends Error {
  override readonly name = 'DataFolderLockedError';

  constructor(
    readonly folder: string,
    readonly holderPid: number,
  ) {
    super(
      `the embedded database at ${folder} is in use by process ${holderPid}${holderPid === process.pid ? ' (this one)' : ''}` +
        ' (a running npm start or subgraph): stop it first, or set DATA_DIR to use another folder',
    );
  }
}

export interface DataFolderLock {
  readonly file: string;
  release(): Promise<void>;
}

/** Lock files this process holds (a second open of the same folder in one process is refused too). */
const held = new Set<string>();

export const lockFileOf = (dataDir: string) => `${path.resolve(dataDir)}.lock`;

/** Takes the folder's lock, or throws {@link DataFolderLockedError}. */
export async function lockDataFolder(dataDir: string): Promise<DataFolderLock> {
  const file = lockFileOf(dataDir);
  if (held.has(file)) throw new DataFolderLockedError(path.resolve(dataDir), process.pid);
  await mkdir(path.dirname(file), { recursive: true });
  for (;;) {
    const handle = await open(file, 'wx').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return null;
      throw error;
    });
    if (handle) {
      try {
        await handle.writeFile(`${process.pid}\n${processStartTime(process.pid) ?? ''}\n`);
      } finally {
        await handle.close();
      }
      if (held.size === 0) process.on('exit', releaseAtExit);
      held.add(file);
      return { file, release: () => release(file) };
    }
    const holder = await readHolder(file);
    if (holder === 'released') continue;
    if (holder === 'writing') {
      await delay(50);
      continue;
    }
    if (holder === 'stale') {
      await rm(file, { force: true });
      continue;
    }
    throw new DataFolderLockedError(path.resolve(dataDir), holder);
  }
}

async function release(file: string): Promise<void> {
  if (!held.delete(file)) return;
  await rm(file, { force: true });
  if (held.size === 0) process.removeListener('exit', releaseAtExit);
}

/** A process that exits without closing its database (process.exit on a signal) leaves no lock behind. */
function releaseAtExit(): void {
  for (const file of held) rmSync(file, { force: true });
  held.clear();
}

/**
 * The live holder's pid; 'stale' when it is gone; 'released' when the file vanished meanwhile;
 * 'writing' when its holder has created it and not yet written its pid.
 */
async function readHolder(file: string): Promise<number | 'stale' | 'released' | 'writing'> {
  const [content, info] = await Promise.all([readFile(file, 'utf8').catch(() => null), stat(file).catch(() => null)]);
  if (content === null || info === null) return 'released';
  const [pidText = '', startedText = ''] = content.split('\n');
  const pid = Number(pidText);
  // Being written right now, or a crash between creating and writing it: stale once it is a while old.
  if (pidText === '' || !Number.isInteger(pid) || pid <= 0)
    return Date.now() - info.mtimeMs > 10_000 ? 'stale' : 'writing';
  // Our own pid, yet not held by us: a previous life of this pid (a restarted container).
  if (pid === process.pid) return 'stale';
  if (!isAlive(pid)) return 'stale';
  // The pid is alive but started at another time: reused by an unrelated process.
  const started = processStartTime(pid);
  if (startedText !== '' && started !== null && started !== startedText) return 'stale';
  return pid;
}

/** When a process started (clock ticks since boot, /proc/<pid>/stat's 22nd field), where /proc tells; else null. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (2nd field) may hold spaces and parentheses: count from after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

import { readFileSync } from 'node:fs';

/**
 * The processes that launched this one for `npm start`, nearest first: npm runs its
 * script through a shell (`sh -c`), which the scripts replace with this script (`exec`;
 * `npm run dev`: with tsx's CLI, which runs it). A SIGKILL of any of them reaches nobody,
 * so the supervisor watches each (scripts/start-all.ts) and stops the graph when one is gone.
 *
 * The chain is read from /proc (Linux): each ancestor whose environment still holds
 * npm's `npm_lifecycle_event` is one of npm's intermediaries; the first without it
 * is npm itself, the last one watched. Without /proc, or when npm did not start this
 * process, only the parent is watched.
 */
export function launcherPids(env: NodeJS.ProcessEnv = process.env, procRoot = '/proc'): number[] {
  const parent = process.ppid;
  if (env.npm_lifecycle_event === undefined) return [parent];
  const chain: number[] = [];
  // A bound, should /proc describe a loop (it cannot, but a bug here must not hang the start).
  for (let pid = parent; pid > 1 && chain.length < 8;) {
    chain.push(pid);
    const environ = readProc(procRoot, pid, 'environ');
    const ppid = parentOf(readProc(procRoot, pid, 'stat'));
    if (environ === undefined || ppid === undefined) return chain.length > 1 ? chain : [parent];
    if (!environ.split('\0').some((entry) => entry.startsWith('npm_lifecycle_event='))) break;
    pid = ppid;
  }
  return chain;
}

function readProc(root: string, pid: number, file: string): string | undefined {
  try {
    return readFileSync(`${root}/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** The parent pid in /proc/<pid>/stat: the 2nd field after the command, which is in parentheses and may hold spaces. */
function parentOf(stat: string | undefined): number | undefined {
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

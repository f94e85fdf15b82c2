import { z } from 'zod';
import { readEnv } from '../config/env';
import { isAlive } from '../os/processes';

/**
 * A process that was started by another (a service by `npm start`'s supervisor, the
 * supervisor by npm) must not outlive it: a SIGKILL, or npm's SIGTERM that its shell
 * does not pass on, gives it no chance to stop its children. So the child watches
 * its parent instead, and stops itself when the parent is gone.
 */

/** How `npm start` tells each service which process supervises it. */
export const SUPERVISOR_PID_VARIABLE = 'SUPERVISOR_PID';

/** How often a watched process is looked at: the longest a child outlives its parent. */
export const WATCH_INTERVAL_MS = 500;

/**
 * Calls `onGone` once, with its pid, when one of `pids` no longer runs. A dead parent
 * that is not reaped yet (a zombie) still "exists": when `pids` holds this process's
 * parent, being adopted by another process counts as its death too. The timer does not
 * keep this process alive. Returns a function that stops watching.
 */
export function watchProcesses(
  pids: number[],
  onGone: (pid: number) => void,
  intervalMs = WATCH_INTERVAL_MS,
): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    const gone = pids.find((pid) => !isAlive(pid) || (pid === parent && process.ppid !== parent));
    if (gone === undefined) return;
    clearInterval(timer);
    onGone(gone);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The supervisor's pid when `npm start` started this process, else undefined. */
export function supervisorPidFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  return readEnv({ [SUPERVISOR_PID_VARIABLE]: z.coerce.number().int().positive().optional() }, env)[
    SUPERVISOR_PID_VARIABLE
  ] as number | undefined;
}

/**
 * For a service's entry point: when the supervisor that started it is gone, the service
 * stops as SIGTERM would stop it (finishing its requests in flight), so nothing is left
 * listening. Does nothing when no supervisor started it.
 */
export function stopWhenSupervisorGone(env: NodeJS.ProcessEnv = process.env): void {
  const pid = supervisorPidFromEnv(env);
  if (pid === undefined) return;
  watchProcesses([pid], () => {
    process.stderr.write(`the supervisor (pid ${pid}) is gone; stopping\n`);
    process.kill(process.pid, 'SIGTERM');
  });
}

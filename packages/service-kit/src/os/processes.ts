/**
 * Whether a process exists: signal 0 checks without sending anything. A process of
 * another user counts (EPERM), so a lock or a watch is never taken from a live holder.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

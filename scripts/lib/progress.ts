import { readFileSync } from 'node:fs';
import { createLogger, type Logger } from '@car-check/service-kit';

/**
 * Progress for the commands a person waits on (`npm start`, `npm run db:migrate`,
 * `db:seed`, `generate:prisma`): a line per step with its duration, a total at the end.
 */

/**
 * When the command a person typed started, as a `performance.now()` value (zero or
 * less): the `npm` (or `npx`/`tsx`) process that launched this one, so that npm's
 * and tsx's own start-up count too. Read from /proc on Linux; elsewhere this
 * process's own start (0).
 */
export function commandStartedAt(): number {
  try {
    const ticksPerSecond = 100; // USER_HZ: 100 on every Linux architecture Node runs on
    const startOf = (pid: number | string) => {
      // The fields after the command name (which may hold spaces): ppid is the 4th field, starttime the 22nd.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { ppid: Number(fields[1]), startedMs: (Number(fields[19]) / ticksPerSecond) * 1_000 };
    };
    const self = startOf('self');
    let earliest = self.startedMs;
    let pid = self.ppid;
    // npm -> sh -c "tsx ..." -> tsx -> this node: up the chain while it is still the command's launcher.
    for (let depth = 0; depth < 4 && pid > 1; depth += 1) {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (!/\b(npm|npx|tsx|sh)\b|npm-cli/.test(command)) break;
      const parent = startOf(pid);
      earliest = Math.min(earliest, parent.startedMs);
      pid = parent.ppid;
    }
    // performance.now() counts from this process's start.
    return Math.min(0, earliest - self.startedMs);
  } catch {
    return 0;
  }
}

/**
 * A logger that writes each line as `<prefix>: <message>` on stdout at once (warnings
 * and errors on stderr), in order with the command's own console lines: for the
 * database commands, which run the same steps as a subgraph's start
 * (packages/subgraph-kit/src/db/progress.ts) but talk to a person, not to a log collector.
 */
export function lineLogger(prefix: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return createLogger({
    service: prefix,
    level,
    pretty: false,
    destination: {
      write(json: string) {
        const entry = JSON.parse(json) as { level: number; msg?: string; err?: { message?: string } };
        const text = `${prefix}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`;
        if (entry.level >= 40) console.error(text);
        else console.log(text);
      },
    },
  });
}

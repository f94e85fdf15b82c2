import { ConfigError } from '../config/env';
import { MigrationHistoryError } from '../db/migrate';

/**
 * How a service's process tells its supervisor (`npm start`, an orchestrator) why it
 * stopped, in its exit code. Most failures may pass (a database that was restarting,
 * a port still being released): exit 1, and a restart is worth trying. Two never pass
 * on their own, so restarting only repeats them:
 *
 * - 78 (EX_CONFIG, from sysexits.h): the configuration is wrong (a missing or
 *   malformed variable, a port already taken). A person must change the environment.
 * - 65 (EX_DATAERR): the database's migration history does not match this code (a
 *   migration recorded but missing after a branch switch, one edited after it was
 *   applied, one that never finished). A person must resolve it.
 */
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 78;
export const EXIT_MIGRATION_HISTORY = 65;

/** What each hopeless exit code means, for a supervisor's line. */
export const HOPELESS_EXIT_CODES: Readonly<Record<number, string>> = {
  [EXIT_CONFIG]: 'a configuration error',
  [EXIT_MIGRATION_HISTORY]: 'a migration history that does not match the code',
};

/** The exit code a start-up failure ends its process with. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError) return EXIT_CONFIG;
  if (error instanceof MigrationHistoryError) return EXIT_MIGRATION_HISTORY;
  return EXIT_FAILURE;
}

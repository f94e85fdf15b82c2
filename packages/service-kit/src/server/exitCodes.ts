import { ConfigError } from '../config/env';

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

/**
 * A failure that knows its own hopeless exit code. The migration runner lives in
 * @car-check/subgraph-kit, which builds on this package: its errors carry the code
 * instead of this module importing the database layer.
 */
export interface HopelessFailure {
  readonly exitCode: number;
}

function isHopelessFailure(error: unknown): error is HopelessFailure {
  return error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number';
}

/** The exit code a start-up failure ends its process with. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError) return EXIT_CONFIG;
  if (isHopelessFailure(error) && error.exitCode in HOPELESS_EXIT_CODES) return error.exitCode;
  return EXIT_FAILURE;
}

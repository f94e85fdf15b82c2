import { formatDuration, type Logger } from '@car-check/service-kit';
import {
  describeTarget,
  openDatabase,
  type ConnectionErrorHandler,
  type Database,
  type DatabaseTarget,
} from './connect';
import { applyMigrations, type MigrationProgress, type MigrationResult } from './migrate';

/**
 * Progress of the slow steps that bring a database up (creating an embedded one,
 * opening it, applying migrations, seeding), reported as it happens: one log
 * line when a step starts and one when it is done, with its duration. Shared by
 * a subgraph's start (bootSubgraph) and the database commands (`npm run
 * db:migrate`, `db:seed`), so both tell the same story.
 *
 * Each line carries its facts in one `progress` object, for JSON logs:
 * `{ step, phase: 'start' | 'done', durationMs?, index?, total?, migration? }`;
 * the message is the same fact in words, which is all the pretty output shows.
 */

/**
 * A seed's transaction: it runs once, at start, while every service of the graph may be starting
 * on the same machine and database, so it waits for a connection and finishes rather than fail
 * the boot on Prisma's defaults (2 s to start, 5 s to run). Requests keep the defaults.
 */
export const SEED_TRANSACTION = { maxWait: 60_000, timeout: 120_000 } as const;

/** The steps a subgraph's start goes through, in order. */
export type ProgressStep =
  'code' | 'database' | 'create-database' | 'migrations' | 'migration' | 'seed' | 'server' | 'ready';

export interface ProgressFields {
  step: ProgressStep;
  phase: 'start' | 'done';
  durationMs?: number;
  [fact: string]: unknown;
}

// Where a person reads durations: the service kit's, so that npm start's supervisor needs nothing of this kit.
export { formatDuration };

/** Milliseconds since `startedAt` (a `performance.now()`), rounded. */
export const msSince = (startedAt: number): number => Math.round(performance.now() - startedAt);

/** One progress line. */
export function logProgress(log: Logger, progress: ProgressFields, message: string): void {
  log.info({ progress }, message);
}

/** What creating, opening and migrating took, for a summary. */
export interface DatabaseTimings {
  /** initdb of a new embedded database (first start only), else absent. */
  createMs?: number;
  /** Opening (or connecting to) the database, creation excluded. */
  openMs: number;
}

/**
 * Opens the database, logging `opening database: <target>` first and, for an
 * embedded database that does not exist yet, its creation (initdb) apart from
 * the opening: the first is the slow step of a first start.
 */
export async function openDatabaseWithProgress(
  target: DatabaseTarget,
  log: Logger,
  onError?: ConnectionErrorHandler,
): Promise<{ database: Database; timings: DatabaseTimings }> {
  const startedAt = performance.now();
  let createMs: number | undefined;
  logProgress(
    log,
    { step: 'database', phase: 'start', database: describeTarget(target) },
    `opening database: ${describeTarget(target)}`,
  );
  const database = await openDatabase(target, onError, {
    onCreate: (event) => {
      if (event.phase === 'start') {
        logProgress(
          log,
          { step: 'create-database', phase: 'start' },
          'creating the embedded database (none there yet)',
        );
      } else {
        createMs = event.durationMs;
        const how = event.ranInitdb ? 'ran initdb' : 'copied the template initdb made';
        logProgress(
          log,
          { step: 'create-database', phase: 'done', durationMs: event.durationMs, ranInitdb: event.ranInitdb },
          `created the embedded database in ${formatDuration(event.durationMs)} (${how})`,
        );
      }
    },
    // Not papered over: the service's /ready turns 503 (its ping is refused) and its writes fail with DATA_LOSS.
    onDataLost: (error) => log.error({ err: error, database: describeTarget(target) }, `data lost: ${error.message}`),
  });
  const openMs = msSince(startedAt) - (createMs ?? 0);
  logProgress(
    log,
    { step: 'database', phase: 'done', durationMs: openMs, created: createMs !== undefined },
    `opened the database in ${formatDuration(openMs)}`,
  );
  return { database, timings: createMs === undefined ? { openMs } : { createMs, openMs } };
}

/**
 * Applies pending migrations, one line as each starts (`applying migration 2 of 5:
 * <name>`; its completion at debug level), and a summary with the total time.
 */
export async function applyMigrationsWithProgress(
  database: Pick<Database, 'runner'>,
  migrationsDir: string,
  log: Logger,
): Promise<MigrationResult & { durationMs: number }> {
  const startedAt = performance.now();
  const onProgress = (event: MigrationProgress) => {
    const progress = {
      step: 'migration' as const,
      phase: event.phase,
      index: event.index,
      total: event.total,
      migration: event.name,
    };
    if (event.phase === 'start') {
      logProgress(log, progress, `applying migration ${event.index} of ${event.total}: ${event.name}`);
    } else {
      log.debug(
        { progress: { ...progress, durationMs: event.durationMs } },
        `applied migration ${event.index} of ${event.total} in ${formatDuration(event.durationMs ?? 0)}: ${event.name}`,
      );
    }
  };
  const result = await applyMigrations(database.runner, migrationsDir, { onProgress });
  const durationMs = msSince(startedAt);
  const { applied } = result;
  logProgress(
    log,
    { step: 'migrations', phase: 'done', durationMs, total: applied.length, applied },
    applied.length > 0
      ? `applied ${applied.length} migration${applied.length === 1 ? '' : 's'} in ${formatDuration(durationMs)}`
      : `migrations already up to date (checked in ${formatDuration(durationMs)})`,
  );
  return { ...result, durationMs };
}

/**
 * Opens a subgraph's database, brings it up to date with its migrations (unless `migrate` is
 * false), runs `work` on it and closes it, with the same progress lines as a subgraph's start:
 * what a deployment's migration job, `db:migrate`, `db:seed` and the read-model commands do.
 */
export async function withMigratedDatabase<T>(
  target: DatabaseTarget,
  migrationsDir: string,
  log: Logger,
  work: (database: Database, applied: string[]) => Promise<T>,
  { migrate = true }: { migrate?: boolean } = {},
): Promise<T> {
  const { database } = await openDatabaseWithProgress(target, log);
  try {
    const applied = migrate ? (await applyMigrationsWithProgress(database, migrationsDir, log)).applied : [];
    return await work(database, applied);
  } finally {
    await database.close();
  }
}

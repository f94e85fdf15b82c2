import { logLevel, readEnv, createLogger } from '@car-check/service-kit';
import type { SubgraphConfigSpec } from '../config/service';
import { databaseTargetFromEnv } from '../db/config';
import { withMigratedDatabase } from '../db/progress';

/**
 * Applies a subgraph's committed migrations to its configured database and
 * returns: what a deployment's migration job runs (`node dist/migrate.js`)
 * before the new version's pods start with MIGRATE_ON_START=false. It reads only
 * the database's settings (and LOG_LEVEL): a migration job gets no other secret.
 */
export async function migrateSubgraph(
  spec: SubgraphConfigSpec,
  migrationsDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  const target = databaseTargetFromEnv(spec, env);
  const { LOG_LEVEL } = readEnv({ LOG_LEVEL: logLevel() }, env) as { LOG_LEVEL: string };
  const log = createLogger({ service: spec.name, level: LOG_LEVEL, pretty: false });
  // The same step lines as a subgraph's start: opening the database, each migration n of m, the total.
  return withMigratedDatabase(target, migrationsDir, log, async (_database, applied) => applied);
}

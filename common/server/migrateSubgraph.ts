import { logLevel, readEnv } from '../config/env';
import type { SubgraphConfigSpec } from '../config/service';
import { databaseTargetFromEnv } from '../db/config';
import { describeTarget, openDatabase } from '../db/connect';
import { applyMigrations } from '../db/migrate';
import { createLogger } from '../logging/logger';

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
  const database = await openDatabase(target);
  try {
    const { applied } = await applyMigrations(database.runner, migrationsDir);
    log.info({ database: describeTarget(target), applied }, applied.length ? 'applied migrations' : 'migrations already up to date');
    return applied;
  } finally {
    await database.close();
  }
}

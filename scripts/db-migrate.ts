/**
 * `npm run db:migrate [-- --subgraph NAME]`: applies each subgraph's committed
 * migrations to its configured database (PostgreSQL when DATABASE_URL or
 * <SUBGRAPH>_DATABASE_URL is set, else the embedded one under DATA_DIR).
 *
 * It says what it does as it goes, a line per step with its duration (creating an
 * embedded database, opening it, each migration), and the total at the end.
 */
import { parseArgs } from 'node:util';
import { describeError } from '@car-check/service-kit';
import {
  applyMigrationsWithProgress,
  describeTarget,
  formatDuration,
  msSince,
  openDatabaseWithProgress,
} from '@car-check/subgraph-kit';
import { commandStartedAt, lineLogger } from './lib/progress';
import { selectSubgraphs } from './lib/subgraphs';

const STARTED_AT = commandStartedAt();

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { subgraph: { type: 'string' } } });
  const took: string[] = [];
  for (const [name, subgraph] of selectSubgraphs(values.subgraph)) {
    const startedAt = performance.now();
    const log = lineLogger(name);
    const { database: target } = subgraph.loadConfig();
    const { migrationsDir } = subgraph.module;
    const { database } = await openDatabaseWithProgress(target, log);
    try {
      await applyMigrationsWithProgress(database, migrationsDir, log);
    } finally {
      await database.close();
    }
    const ms = msSince(startedAt);
    took.push(`${name} ${formatDuration(ms)}`);
    console.log(`${name}: done in ${formatDuration(ms)} (${describeTarget(target)})`);
  }
  console.log(`db:migrate: ${took.length === 1 ? 'the database is' : `${took.length} databases are`} up to date, ${formatDuration(msSince(STARTED_AT))} in all (${took.join(', ')})`);
}

main().catch((error: unknown) => {
  console.error(`db:migrate failed after ${formatDuration(msSince(STARTED_AT))}: ${describeError(error)}`);
  process.exit(1);
});

/**
 * `npm run db:migrate [-- --subgraph NAME]`: applies each subgraph's committed
 * migrations to its configured database (PostgreSQL when DATABASE_URL or
 * <SUBGRAPH>_DATABASE_URL is set, else the embedded one under DATA_DIR).
 */
import { parseArgs } from 'node:util';
import { applyMigrations, describeTarget, openDatabase } from '@car-check/common';
import { selectSubgraphs } from './lib/subgraphs';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { subgraph: { type: 'string' } } });
  for (const [name, { module, loadConfig }] of selectSubgraphs(values.subgraph)) {
    const { database: target } = loadConfig();
    const database = await openDatabase(target);
    try {
      const { applied } = await applyMigrations(database.runner, module.migrationsDir);
      const what = applied.length ? `applied ${applied.join(', ')}` : 'already up to date';
      console.log(`${name}: ${what} (${describeTarget(target)})`);
    } finally {
      await database.close();
    }
  }
}

main().catch((error: unknown) => {
  console.error(`db:migrate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

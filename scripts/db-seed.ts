/**
 * `npm run db:seed [-- --subgraph NAME]`: loads the demo fleet into each
 * subgraph's configured database, migrating it first. Idempotent: seeded rows
 * have fixed ids and are upserted, so running it twice changes nothing.
 */
import { parseArgs } from 'node:util';
import { applyMigrations, createLogger, describeTarget, openDatabase } from '@car-check/common';
import { selectSubgraphs } from './lib/subgraphs';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { subgraph: { type: 'string' } } });
  for (const [name, { module, loadConfig }] of selectSubgraphs(values.subgraph)) {
    const config = loadConfig();
    const log = createLogger({ service: name, level: config.logLevel, pretty: true });
    const database = await openDatabase(config.database);
    const prisma = module.createPrisma(database.adapter);
    try {
      await applyMigrations(database.runner, module.migrationsDir);
      await module.seed(prisma, log, process.env);
      console.log(`${name}: seeded (${describeTarget(config.database)})`);
    } finally {
      await prisma.$disconnect();
      await database.close();
    }
  }
}

main().catch((error: unknown) => {
  console.error(`db:seed failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

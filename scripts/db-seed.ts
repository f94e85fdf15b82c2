/**
 * `npm run db:seed [-- --subgraph NAME]`: loads the demo fleet into each
 * subgraph's configured database, migrating it first. Idempotent: seeded rows
 * have fixed ids and are upserted, so running it twice changes nothing.
 *
 * It says what it does as it goes, a line per step with its duration (opening the
 * database, migrations, what was seeded), and the total at the end. A failure is one
 * line, no stack, and its exit code says which kind (78 configuration, 65 migration history, else 1).
 */
import { parseArgs } from 'node:util';
import { describeError, exitCodeFor } from '@car-check/service-kit';
import {
  applyMigrationsWithProgress,
  describeTarget,
  formatDuration,
  logProgress,
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
    const config = subgraph.loadConfig();
    const log = lineLogger(name, config.logLevel);
    const { module } = subgraph;
    const { database } = await openDatabaseWithProgress(config.database, log);
    const prisma = module.createPrisma(database.adapter);
    try {
      await applyMigrationsWithProgress(database, module.migrationsDir, log);
      logProgress(log, { step: 'seed', phase: 'start' }, 'seeding the demo data');
      await module.seed(prisma, log, process.env);
    } finally {
      await prisma.$disconnect();
      await database.close();
    }
    const ms = msSince(startedAt);
    took.push(`${name} ${formatDuration(ms)}`);
    console.log(`${name}: seeded in ${formatDuration(ms)} (${describeTarget(config.database)})`);
  }
  console.log(`db:seed: ${took.length === 1 ? 'one database' : `${took.length} databases`} seeded, ${formatDuration(msSince(STARTED_AT))} in all (${took.join(', ')})`);
}

main().catch((error: unknown) => {
  console.error(`db:seed failed after ${formatDuration(msSince(STARTED_AT))}: ${describeError(error)}`);
  process.exit(exitCodeFor(error));
});

/**
 * `npm run db:seed [-- --subgraph NAME]`: loads the demo fleet into each
 * subgraph's configured database, migrating it first. Idempotent: seeded rows
 * have fixed ids and are upserted, so running it twice changes nothing.
 *
 * It says what it does as it goes, a line per step with its duration (opening the
 * database, migrations, what was seeded), and the total at the end. A failure is one
 * line, no stack, and its exit code says which kind (78 configuration, 65 migration history, else 1).
 */
import { describeTarget, logProgress, withMigratedDatabase } from '@car-check/subgraph-kit';
import { runPerSubgraph } from './lib/perSubgraphCommand';
import { lineLogger } from './lib/progress';

runPerSubgraph(
  'db:seed',
  async (name, subgraph) => {
    const config = subgraph.loadConfig();
    const log = lineLogger(name, config.logLevel);
    const { module } = subgraph;
    await withMigratedDatabase(config.database, module.migrationsDir, log, async (database) => {
      const prisma = module.createPrisma(database.adapter);
      try {
        logProgress(log, { step: 'seed', phase: 'start' }, 'seeding the demo data');
        await module.seed(prisma, log, process.env);
      } finally {
        await prisma.$disconnect();
      }
    });
    return { did: 'seeded', target: describeTarget(config.database) };
  },
  (count) => `${count === 1 ? 'one database' : `${count} databases`} seeded`,
);

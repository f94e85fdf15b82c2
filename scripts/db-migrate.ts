/**
 * `npm run db:migrate [-- --subgraph NAME]`: applies each subgraph's committed
 * migrations to its configured database (PostgreSQL when DATABASE_URL or
 * <SUBGRAPH>_DATABASE_URL is set, else the embedded one under DATA_DIR).
 *
 * It says what it does as it goes, a line per step with its duration (creating an
 * embedded database, opening it, each migration), and the total at the end.
 */
import { describeTarget, withMigratedDatabase } from '@car-check/subgraph-kit';
import { runPerSubgraph } from './lib/perSubgraphCommand';
import { lineLogger } from './lib/progress';

runPerSubgraph(
  'db:migrate',
  async (name, subgraph) => {
    const log = lineLogger(name);
    const { database: target } = subgraph.loadConfig();
    const { migrationsDir } = subgraph.module;
    await withMigratedDatabase(target, migrationsDir, log, async () => undefined);
    return { did: 'done', target: describeTarget(target) };
  },
  (count) => (count === 1 ? 'the database is' : `${count} databases are`) + ' up to date',
);

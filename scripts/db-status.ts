/**
 * `npm run db:status [-- --subgraph NAME]`: which committed migrations each
 * subgraph's configured database has applied (PostgreSQL when DATABASE_URL or
 * <SUBGRAPH>_DATABASE_URL is set, else the embedded one under DATA_DIR). Changes
 * nothing; exits 1 when a database is behind, ahead of, or diverged from the repo.
 * (`prisma migrate status` needs a native engine these machines cannot download.)
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeError } from '@car-check/service-kit';
import { describeTarget, migrationStatus, openDatabase, type MigrationState } from '@car-check/subgraph-kit';
import { selectSubgraphs } from './lib/subgraphs';

const MARK: Record<MigrationState['state'], string> = {
  applied: 'applied',
  pending: 'PENDING',
  failed: 'FAILED (started, never finished)',
  edited: 'EDITED after it was applied',
  unknown: 'UNKNOWN (applied, not in this repo)',
};

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { subgraph: { type: 'string' } } });
  let behind = false;
  for (const [name, { module, loadConfig }] of selectSubgraphs(values.subgraph)) {
    const { database: target } = loadConfig();
    // Opening an embedded database that does not exist would create it: say so instead.
    if (target.kind === 'embedded' && !target.dataDir.startsWith('memory://') && !existsSync(target.dataDir)) {
      console.log(
        `${name}: no database yet at ${target.dataDir} (created, migrated and seeded on the first npm start)`,
      );
      continue;
    }
    const database = await openDatabase(target);
    try {
      const states = await migrationStatus(database.runner, module.migrationsDir);
      const pending = states.filter((state) => state.state !== 'applied');
      behind ||= pending.length > 0;
      console.log(
        `${name}: ${describeTarget(target)}: ${states.length - pending.length} of ${states.length} applied${pending.length ? '' : ', up to date'}`,
      );
      for (const state of states) {
        console.log(
          `  ${MARK[state.state].padEnd(9)} ${state.name}${state.appliedAt ? `  (${state.appliedAt.toISOString()})` : ''}`,
        );
      }
    } finally {
      await database.close();
    }
  }
  return behind ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`db:status failed: ${describeError(error)}`);
    process.exit(2);
  },
);

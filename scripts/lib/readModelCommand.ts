import { parseArgs } from 'node:util';
import { createLogger, describeError, resolveSigningSecret } from '@car-check/service-kit';
import {
  applyMigrations,
  describeTarget,
  openDatabase,
  type DefinedSubgraph,
  type PrismaLike,
} from '@car-check/subgraph-kit';
import { loadSubgraph } from './subgraphs';

type ReadModelTask = 'rebuildReadModels' | 'redriveDeadLetters';

/**
 * Runs one of a subgraph's read-model tasks against its configured database
 * (`npm run events:rebuild` / `events:redrive -- --subgraph NAME`): opens it,
 * migrates it unless MIGRATE_ON_START=false, runs the task, prints its report
 * on one line, and exits 1 with one line on failure.
 */
export function runReadModelCommand(command: string, task: ReadModelTask, done: string): void {
  const main = async () => {
    const { values } = parseArgs({ options: { subgraph: { type: 'string' } }, strict: true });
    if (!values.subgraph) throw new Error(`Usage: npm run ${command} -- --subgraph <name>`);
    const name = values.subgraph;
    const { module, loadConfig } = loadSubgraph(name);
    const run = (module as DefinedSubgraph<PrismaLike>)[task];
    if (!run) throw new Error(`The ${name} subgraph keeps no read models.`);
    const config = loadConfig();
    const log = createLogger({ service: name, level: config.logLevel, pretty: config.prettyLogs });
    const signingSecret = await resolveSigningSecret(config.signing.source);
    const database = await openDatabase(config.database);
    const prisma = module.createPrisma(database.adapter);
    try {
      if (config.migrateOnStart) await applyMigrations(database.runner, module.migrationsDir);
      const report = await run.call(module, { prisma, log, config, signingSecret });
      console.log(`${name}: ${done} (${describeTarget(config.database)}): ${JSON.stringify(report)}`);
    } finally {
      await prisma.$disconnect();
      await database.close();
    }
  };
  main().catch((error: unknown) => {
    console.error(`${command} failed: ${describeError(error)}`);
    process.exit(1);
  });
}

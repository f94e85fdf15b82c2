import { parseArgs } from 'node:util';
import { createLogger, describeError, exitCodeFor, resolveSigningSecret } from '@car-check/service-kit';
import { describeTarget, withMigratedDatabase, type DefinedSubgraph, type PrismaLike } from '@car-check/subgraph-kit';
import { loadSubgraph } from './subgraphs';

type ReadModelTask = 'rebuildReadModels' | 'redriveDeadLetters';

/**
 * Runs one of a subgraph's read-model tasks against its configured database
 * (`npm run events:rebuild` / `events:redrive -- --subgraph NAME`): opens it,
 * migrates it unless MIGRATE_ON_START=false, runs the task, prints its report
 * on one line; a failure is one line, and its exit code says which kind (78 configuration,
 * 65 migration history, else 1), as the db: commands' do.
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
    const report = await withMigratedDatabase(
      config.database,
      module.migrationsDir,
      log,
      async (database) => {
        const prisma = module.createPrisma(database.adapter);
        try {
          return await run.call(module, { prisma, log, config, signingSecret });
        } finally {
          await prisma.$disconnect();
        }
      },
      { migrate: config.migrateOnStart },
    );
    console.log(`${name}: ${done} (${describeTarget(config.database)}): ${JSON.stringify(report)}`);
  };
  main().catch((error: unknown) => {
    console.error(`${command} failed: ${describeError(error)}`);
    process.exit(exitCodeFor(error));
  });
}

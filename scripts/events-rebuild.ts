/**
 * `npm run events:rebuild -- --subgraph car`: rebuilds a subgraph's read models
 * (the car subgraph's replica of the cost centers) from their owners' full
 * event feeds. Empties each read model and its cursor and replays the feed from
 * the start, in one transaction: readers see the old read model until the new
 * one is committed whole.
 *
 * - Embedded database (PGlite): stop the subgraph first; its data folder can
 *   only be opened by one process.
 * - PostgreSQL: safe while the subgraph runs. The rebuild holds the consumer's
 *   advisory lock: the running consumer skips its polls until the rebuild has
 *   committed, then goes on from the rebuilt cursor.
 *
 * The owners must be running: their feeds are read through their configured
 * addresses (e.g. COST_CENTER_SUBGRAPH_URL), signed with the signing secret.
 */
import { parseArgs } from 'node:util';
import { applyMigrations, createLogger, describeError, describeTarget, openDatabase, resolveSigningSecret } from '@car-check/common';
import { loadSubgraph } from './lib/subgraphs';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { subgraph: { type: 'string' } }, strict: true });
  if (!values.subgraph) throw new Error('Usage: npm run events:rebuild -- --subgraph <name>');
  const name = values.subgraph;
  const { module, loadConfig } = loadSubgraph(name);
  if (!module.rebuildReadModels) throw new Error(`The ${name} subgraph keeps no read models.`);
  const config = loadConfig();
  const log = createLogger({ service: name, level: config.logLevel, pretty: config.prettyLogs });
  const signingSecret = await resolveSigningSecret(config.signing.source);
  const database = await openDatabase(config.database);
  const prisma = module.createPrisma(database.adapter);
  try {
    if (config.migrateOnStart) await applyMigrations(database.runner, module.migrationsDir);
    const report = await module.rebuildReadModels({ prisma, log, config, signingSecret });
    console.log(`${name}: read models rebuilt (${describeTarget(config.database)}): ${JSON.stringify(report)}`);
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(`events:rebuild failed: ${describeError(error)}`);
  process.exit(1);
});

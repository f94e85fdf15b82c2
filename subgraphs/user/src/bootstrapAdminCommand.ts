/**
 * `ADMIN_PASSWORD=... npm run db:bootstrap-admin -- --username alice --email alice@example.com`
 * (in an image: `node subgraphs/user/dist/bootstrapAdminCommand.js --username ...`)
 *
 * Creates the first administrator of a fresh production user database (the
 * one configured for the user subgraph: USER_DATABASE_URL, DATABASE_URL or the
 * embedded one), migrating it first. The password comes from ADMIN_PASSWORD,
 * never from the command line (it would stay in the shell's history), and
 * has no default. Refused once an active administrator exists.
 */
import { parseArgs } from 'node:util';
import { applyMigrations, describeTarget, openDatabase } from '@car-check/subgraph-kit';
import { bootstrapAdmin, BootstrapRefused } from './bootstrap';
import { loadConfig } from './config';
import { createPrisma } from './prisma';
import { userSubgraph } from './server';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { username: { type: 'string' }, email: { type: 'string' } } });
  const password = process.env.ADMIN_PASSWORD;
  if (!values.username || !values.email || !password) {
    console.error('Usage: ADMIN_PASSWORD=<at least 12 characters> npm run db:bootstrap-admin -- --username NAME --email ADDRESS');
    return 2;
  }
  const config = loadConfig();
  const database = await openDatabase(config.database);
  const prisma = createPrisma(database.adapter);
  try {
    await applyMigrations(database.runner, userSubgraph.migrationsDir);
    const { id } = await bootstrapAdmin(prisma, { username: values.username, email: values.email, password });
    console.log(`Created administrator ${values.username} (${id}) in ${describeTarget(config.database)}.`);
    return 0;
  } catch (error) {
    if (error instanceof BootstrapRefused) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await prisma.$disconnect();
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`db:bootstrap-admin failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

/**
 * `ADMIN_PASSWORD=... npm run db:bootstrap-admin -- --username alice --email alice@example.com`
 * (in an image: `node subgraphs/user/dist/bootstrapAdminCommand.js --username ...`)
 *
 * Creates the first administrator of a fresh production user database (the
 * one configured for the user subgraph: USER_DATABASE_URL, DATABASE_URL or the
 * embedded one), migrating it first. The password comes from ADMIN_PASSWORD,
 * never from the command line (it would stay in the shell's history), and
 * has no default. Refused once an active administrator exists. It reads the user
 * subgraph's whole configuration, so in production GATEWAY_SIGNING_SECRET too.
 *
 * Every failure is one line on stderr, no stack: the exit code says which kind
 * (2 usage, 78 configuration, 65 migration history, 1 anything else).
 */
import { parseArgs } from 'node:util';
import { describeError, exitCodeFor } from '@car-check/service-kit';
import { applyMigrations, describeTarget, openDatabase } from '@car-check/subgraph-kit';
import { bootstrapAdmin, BootstrapRefused } from './bootstrap';
import { invalidBootstrapInput } from './bootstrapInputProblems';
import { loadConfig } from './config';
import { createPrisma } from './prisma';
import { userSubgraph } from './server';

const COMMAND = 'db:bootstrap-admin';
const BOOTSTRAP_USAGE =
  'Usage: ADMIN_PASSWORD=<at least 12 characters> npm run db:bootstrap-admin -- --username NAME --email ADDRESS\n' +
  "  It reads the user subgraph's configuration: its database (USER_DATABASE_URL, DATABASE_URL or the embedded one)\n" +
  "  and, with NODE_ENV=production, GATEWAY_SIGNING_SECRET (the graph's, at least 32 characters).";
const EXIT_USAGE = 2;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { username: { type: 'string' }, email: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(BOOTSTRAP_USAGE);
    return 0;
  }
  const password = process.env.ADMIN_PASSWORD;
  if (!values.username || !values.email || !password) {
    console.error(BOOTSTRAP_USAGE);
    return EXIT_USAGE;
  }
  const input = { username: values.username, email: values.email, password };
  // Checked before the database is opened: a typo costs no connection, and reads as one line.
  const invalid = invalidBootstrapInput(input);
  if (invalid) {
    console.error(`${COMMAND}: ${invalid}`);
    return 1;
  }
  const config = loadConfig();
  const database = await openDatabase(config.database);
  const prisma = createPrisma(database.adapter);
  try {
    await applyMigrations(database.runner, userSubgraph.migrationsDir);
    const { id } = await bootstrapAdmin(prisma, input);
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
    console.error(`${COMMAND} failed: ${describeError(error)}`);
    process.exit(exitCodeFor(error));
  },
);

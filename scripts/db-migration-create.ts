/**
 * Creates the next Prisma migration of one subgraph, offline:
 *
 *   npm run db:migration:create -- --subgraph car --name add_color
 *
 * Writes prisma/<subgraph>/migrations/<UTC timestamp>_<name>/migration.sql with the SQL
 * `prisma migrate dev --name <name>` would write. That command cannot run here (it needs a
 * native engine downloaded from Prisma's host); see scripts/lib/schema-engine.ts.
 * Nothing is applied to any real database: `npm run db:migrate` does that.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  SUBGRAPHS,
  createMigration,
  isSubgraph,
  isValidMigrationName,
  subgraphPaths,
  type Subgraph,
} from './lib/schema-engine';

const USAGE = `Usage: npm run db:migration:create -- --subgraph <${SUBGRAPHS.join('|')}> --name <snake_case_name>`;

/** A problem with the command line: reported with the usage text and exit code 2. */
class UsageError extends Error {}

interface Request {
  subgraph: Subgraph;
  name: string;
}

function parseRequest(args: string[]): Request | 'help' {
  let values: { subgraph?: string; name?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        subgraph: { type: 'string', short: 's' },
        name: { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // parseArgs reports unknown options, missing values and positionals as TypeErrors.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return 'help';

  const { subgraph, name } = values;
  if (subgraph === undefined) throw new UsageError('Missing --subgraph.');
  if (!isSubgraph(subgraph)) {
    throw new UsageError(`Unknown subgraph "${subgraph}"; expected one of: ${SUBGRAPHS.join(', ')}.`);
  }
  if (name === undefined) throw new UsageError('Missing --name.');
  if (!isValidMigrationName(name)) {
    throw new UsageError(
      `Invalid name "${name}": use lower-case letters, digits and single underscores (e.g. add_color), at most 200 characters.`,
    );
  }
  return { subgraph, name };
}

async function main(args: string[]): Promise<number> {
  let request: Request | 'help';
  try {
    request = parseRequest(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  if (request === 'help') {
    console.log(USAGE);
    return 0;
  }

  const { subgraph, name } = request;
  const created = await createMigration(subgraph, name, {
    onWarning: (message) => console.warn(`Warning: ${message}`),
  });
  if (created === null) {
    const schema = path.relative(process.cwd(), subgraphPaths(subgraph).schemaPath);
    console.log(`No changes: ${schema} matches its migrations; nothing written.`);
  } else {
    console.log(`Created ${path.relative(process.cwd(), created)}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`db:migration:create failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);

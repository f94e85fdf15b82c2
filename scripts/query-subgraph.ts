/**
 * `npm run query:subgraph -- --subgraph car [--as admin] [--scopes car:read,...] [--variables '{...}'] '{ cars { totalCount } }'`
 *
 * Sends one query straight to a subgraph, signed as the gateway would sign it
 * for a demo user (development only). Prints the JSON answer.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '@car-check/service-kit';
import { sendSignedQuery } from './lib/signedQuery';

const USAGE =
  "Usage: npm run query:subgraph -- --subgraph <car|cost-center|user> [--as <user|anonymous>] [--scopes a,b] [--variables '<json>'] '<query>'";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      subgraph: { type: 'string' },
      as: { type: 'string', default: 'admin' },
      scopes: { type: 'string' },
      variables: { type: 'string' },
    },
  });
  const query = positionals.join(' ').trim();
  if (!values.subgraph || !query) {
    console.error(USAGE);
    return 2;
  }
  let variables: Record<string, unknown> | undefined;
  try {
    variables = values.variables ? (JSON.parse(values.variables) as Record<string, unknown>) : undefined;
  } catch {
    console.error('--variables must be a JSON object.');
    return 2;
  }
  const answer = await sendSignedQuery({
    subgraph: values.subgraph,
    as: values.as!,
    scopes: values.scopes
      ?.split(',')
      .map((scope) => scope.trim())
      .filter(Boolean),
    query,
    variables,
  });
  console.log(JSON.stringify(answer, null, 2));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError
        ? error.message
        : `query:subgraph failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  },
);

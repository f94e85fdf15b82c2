/**
 * `npm run check -- --subgraph <name> [--schema <file>] [--against <gateway URL or supergraph file>]
 *   [--operations <file>]... [--json] [--allow-breaking]`
 *
 * --schema is the subgraph's SDL as its team writes it (its own types; by default its
 * schema.graphql), completed with the shared types it uses as `npm run generate` would.
 *
 * The client operations checked are operations/client-operations.graphql and every
 * .graphql file of the web app (web/src), unless --operations names others.
 *
 * Before shipping a subgraph: does the proposed schema compose with the others,
 * and what does it change for clients? It compares with the last published
 * supergraph: the committed one (git HEAD's supergraph.graphql, never the working-tree
 * file that `npm run dev` rewrites), or with --against a running gateway's (by
 * introspection of its GraphQL URL) or a supergraph file. Exits 1 on a composition
 * error, a breaking change or a broken client operation (unless --allow-breaking).
 */
import { parseArgs } from 'node:util';
import { checkSubgraph, formatReport, isBlocking } from './lib/schemaCheck';

const USAGE =
  'Usage: npm run check -- --subgraph <car|cost-center|user> [--schema <file>] [--against <gateway URL|supergraph file>] ' +
  '[--operations <file>] [--json] [--allow-breaking]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      subgraph: { type: 'string' },
      schema: { type: 'string' },
      against: { type: 'string' },
      operations: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      'allow-breaking': { type: 'boolean', default: false },
    },
  });
  if (!values.subgraph) {
    console.error(USAGE);
    return 2;
  }
  const report = await checkSubgraph({
    subgraph: values.subgraph,
    schemaFile: values.schema,
    against: values.against,
    operationFiles: values.operations,
  });
  const blocking = isBlocking(report, values['allow-breaking']);
  console.log(
    values.json
      ? JSON.stringify({ ...report, ok: !blocking }, null, 2)
      : formatReport(report, values['allow-breaking']),
  );
  return blocking ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);

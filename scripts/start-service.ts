/**
 * `npm run start:service -- <gateway | subgraph>`: one service of the graph from its TypeScript
 * entry point, the one `npm start` would run (a subgraph by its name in supergraph.yaml, so a new
 * subgraph needs no script of its own), without the supervisor: for running a service apart.
 */
import path from 'node:path';
import { subgraphNames, subgraphRegistration } from '@car-check/service-kit';

/** sysexits.h's EX_USAGE: the command was called wrongly. */
const EXIT_USAGE = 64;

const name = process.argv[2];
const names = ['gateway', ...subgraphNames()];
if (name === undefined || !names.includes(name)) {
  const given = name === undefined ? '' : ` (not "${name}")`;
  console.error(`usage: npm run start:service -- <${names.join(' | ')}>${given}`);
  process.exit(EXIT_USAGE);
}
const packageDir =
  name === 'gateway' ? path.resolve(__dirname, '..', 'gateway') : subgraphRegistration(name).packageDir;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the service is chosen at run time
require(path.join(packageDir, 'src', 'index.ts'));

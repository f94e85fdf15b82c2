/**
 * `npm run generate:sdl [-- --subgraph NAME]`: writes each subgraph's full SDL (its
 * hand-written schema.graphql and the shared types it uses, see scripts/lib/subgraphSdl.ts)
 * to the file its package.json's "subgraph.schema" names, which supergraph.yaml, codegen,
 * the server and the image read. Committed; CI checks that regenerating changes nothing.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { subgraphNames, subgraphRegistration } from '@car-check/service-kit';
import { REPO_ROOT } from './lib/compose';
import { writeSubgraphSdl } from './lib/subgraphSdl';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { subgraph: { type: 'string' } } });
  const names = values.subgraph ? [values.subgraph] : subgraphNames();
  for (const name of names) {
    const registration = subgraphRegistration(name);
    const changed = await writeSubgraphSdl(registration, REPO_ROOT);
    console.log(`generate:sdl: ${path.relative(REPO_ROOT, registration.schemaFile)}${changed ? '' : ' (unchanged)'}`);
  }
}

main().catch((error: unknown) => {
  console.error(`generate:sdl: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

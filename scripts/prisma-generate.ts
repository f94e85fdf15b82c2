/**
 * `npm run generate:prisma [-- --subgraph NAME]`: generates each subgraph's Prisma
 * client from its own schema (where its package.json says) into
 * subgraphs/<name>/src/__generated__/prisma (committed; CI checks that
 * regenerating changes nothing).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { subgraphNames, subgraphRegistration } from '@car-check/common';

const root = path.resolve(__dirname, '..');
const prismaCli = require.resolve('prisma/build/index.js');
const { values } = parseArgs({ options: { subgraph: { type: 'string' } } });

for (const name of values.subgraph ? [values.subgraph] : subgraphNames()) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', subgraphRegistration(name).prismaSchema], {
    cwd: root,
    stdio: 'inherit',
  });
}

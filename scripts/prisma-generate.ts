/**
 * `npm run generate:prisma`: generates each subgraph's Prisma client from its
 * own schema into subgraphs/<name>/src/__generated__/prisma (committed; CI
 * checks that regenerating changes nothing).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { SUBGRAPH_NAMES } from '../common/config/routing';

const root = path.resolve(__dirname, '..');
const prismaCli = require.resolve('prisma/build/index.js');

for (const name of SUBGRAPH_NAMES) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', path.join('prisma', name, 'schema.prisma')], {
    cwd: root,
    stdio: 'inherit',
  });
}

/**
 * `npm run generate:prisma [-- --subgraph NAME]`: generates each subgraph's Prisma
 * client from its own schema (where its package.json says) into
 * subgraphs/<name>/src/__generated__/prisma (committed; CI checks that
 * regenerating changes nothing). A line per client with its duration, the total at the end.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { subgraphNames, subgraphRegistration } from '@car-check/service-kit';
import { formatDuration, msSince } from '@car-check/subgraph-kit';
import { commandStartedAt } from './lib/progress';

const STARTED_AT = commandStartedAt();
const root = path.resolve(__dirname, '..');
const prismaCli = require.resolve('prisma/build/index.js');
const { values } = parseArgs({ options: { subgraph: { type: 'string' } } });

const names = values.subgraph ? [values.subgraph] : subgraphNames();
const took: string[] = [];
for (const [index, name] of names.entries()) {
  const startedAt = performance.now();
  console.log(`generate:prisma: ${name} (${index + 1} of ${names.length})`);
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', subgraphRegistration(name).prismaSchema], {
    cwd: root,
    stdio: 'inherit',
  });
  const ms = msSince(startedAt);
  took.push(`${name} ${formatDuration(ms)}`);
  console.log(`generate:prisma: ${name} done in ${formatDuration(ms)}`);
}
console.log(
  `generate:prisma: ${names.length} client${names.length === 1 ? '' : 's'} generated, ${formatDuration(msSince(STARTED_AT))} in all (${took.join(', ')})`,
);

import path from 'node:path';
import { subgraphPackageFiles } from '@car-check/service-kit';
import { defineSubgraph } from '@car-check/subgraph-kit';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** The cost-center subgraph: its SDL, resolvers and data, ready to boot or test. */
export const costCenterSubgraph = defineSubgraph({
  // Its SDL and migrations, where package.json declares them (the same from src/ and from dist/).
  ...subgraphPackageFiles(path.join(__dirname, '..')),
  resolvers,
  createPrisma,
  createContext,
  seed,
});

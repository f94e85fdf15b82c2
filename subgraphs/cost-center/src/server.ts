import path from 'node:path';
import { subgraphPackageFiles } from '@car-check/service-kit';
import { defineSubgraph } from '@car-check/subgraph-kit';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';

// Where its SDL and migrations are, as package.json declares them (the same from src/ and from dist/).
const files = subgraphPackageFiles(path.join(__dirname, '..'));

/** The cost-center subgraph: its SDL, resolvers and data, ready to boot or test. */
export const costCenterSubgraph = defineSubgraph({
  schemaFile: files.schemaFile,
  migrationsDir: files.migrationsDir,
  resolvers,
  createPrisma,
  createContext,
  seed,
});

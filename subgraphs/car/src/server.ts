import path from 'node:path';
import { defineSubgraph, subgraphPackageFiles } from '@car-check/common';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';

// Where its SDL and migrations are, as package.json declares them (the same from src/ and from dist/).
const files = subgraphPackageFiles(path.join(__dirname, '..'));

/** The car subgraph: its SDL, resolvers and data, ready to boot or test. */
export const carSubgraph = defineSubgraph({
  schemaFile: files.schemaFile,
  migrationsDir: files.migrationsDir,
  resolvers,
  createPrisma,
  createContext,
  seed,
});

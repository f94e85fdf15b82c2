import path from 'node:path';
import { defineSubgraph } from '../../../common/server/defineSubgraph';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** The user subgraph: its SDL, resolvers and data, ready to boot or test. */
export const userSubgraph = defineSubgraph({
  schemaFile: path.join(__dirname, '..', 'schema.graphql'),
  migrationsDir: path.join(__dirname, '..', '..', '..', 'prisma', 'user', 'migrations'),
  resolvers,
  createPrisma,
  createContext,
  seed,
});

import path from 'node:path';
import { defineSubgraph, subgraphDefinition } from '@car-check/subgraph-kit';
import { authHooks } from './auth/setup';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** The user subgraph: its SDL, resolvers and data, plus the token service, ready to boot or test. */
export const userSubgraph = defineSubgraph(
  subgraphDefinition(path.join(__dirname, '..'), { resolvers, createPrisma, createContext, seed }, authHooks),
);

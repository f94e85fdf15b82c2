import path from 'node:path';
import { defineSubgraph, subgraphDefinition } from '@car-check/subgraph-kit';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** The cost-center subgraph: its SDL, resolvers and data, ready to boot or test. */
export const costCenterSubgraph = defineSubgraph(
  subgraphDefinition(path.join(__dirname, '..'), { resolvers, createPrisma, createContext, seed }),
);

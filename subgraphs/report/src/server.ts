import path from 'node:path';
import { defineSubgraph, subgraphDefinition } from '@car-check/subgraph-kit';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';
import { readModelHooks } from './services';

/** The report subgraph: its SDL, resolvers and read model, and the consumers that keep it up to date. */
export const reportSubgraph = defineSubgraph(
  subgraphDefinition(path.join(__dirname, '..'), { resolvers, createPrisma, createContext, seed }, readModelHooks),
);

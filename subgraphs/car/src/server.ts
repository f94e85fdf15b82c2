import path from 'node:path';
import { defineSubgraph, subgraphDefinition } from '@car-check/subgraph-kit';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { readModelHooks } from './readModels';
import { resolvers } from './resolvers';
import { seed } from './seed';

export type { CarServices } from './readModels';

/** The car subgraph: its SDL, resolvers and data, and its replica of the cost centers, ready to boot or test. */
export const carSubgraph = defineSubgraph(
  subgraphDefinition(path.join(__dirname, '..'), { resolvers, createPrisma, createContext, seed }, readModelHooks),
);

import path from 'node:path';
import { defineSubgraph, subgraphDefinition } from '@car-check/subgraph-kit';
import { createContext } from './context';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';
import { deliveryHooks } from './services';

/** The webhook subgraph: its SDL, resolvers and data, and the delivery that runs while it serves. */
export const webhookSubgraph = defineSubgraph(
  subgraphDefinition(path.join(__dirname, '..'), { resolvers, createPrisma, createContext, seed }, deliveryHooks),
);

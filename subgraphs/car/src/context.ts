import { subgraphContext, type ContextDeps, type RequestInfo, type SubgraphContext } from '@car-check/subgraph-kit';
import { createLoaders, type Loaders } from './loaders';
import { costCenterDirectory, type CostCenterDirectory } from './peers';
import type { PrismaClient } from './prisma';

/** Everything a car resolver may use; built afresh for every request. */
export interface Context extends SubgraphContext<PrismaClient, Loaders> {
  costCenters: CostCenterDirectory;
}

export function createContext({ prisma, peers }: ContextDeps<PrismaClient>, request: RequestInfo): Context {
  return { ...subgraphContext(request, prisma, createLoaders), costCenters: costCenterDirectory(peers) };
}

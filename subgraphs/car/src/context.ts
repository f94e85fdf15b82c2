import type { Peers, RequestInfo } from '@car-check/subgraph-kit';
import { createLoaders, type Loaders } from './loaders';
import { costCenterDirectory, type CostCenterDirectory } from './peers';
import type { PrismaClient } from './prisma';

/** Everything a car resolver may use; built afresh for every request. */
export interface Context extends RequestInfo {
  prisma: PrismaClient;
  loaders: Loaders;
  costCenters: CostCenterDirectory;
}

export function createContext(
  { prisma, peers }: { prisma: PrismaClient; peers: Peers },
  request: RequestInfo,
): Context {
  return { ...request, prisma, loaders: createLoaders(prisma), costCenters: costCenterDirectory(peers) };
}

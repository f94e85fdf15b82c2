import type { Peers, RequestInfo } from '@car-check/subgraph-kit';
import { createLoaders, type Loaders } from './loaders';
import { crossServiceChecks, type CrossServiceChecks } from './peers';
import type { PrismaClient } from './prisma';

/** Everything a cost-center resolver may use; built afresh for every request. */
export interface Context extends RequestInfo {
  prisma: PrismaClient;
  loaders: Loaders;
  checks: CrossServiceChecks;
}

export function createContext(
  { prisma, peers }: { prisma: PrismaClient; peers: Peers },
  request: RequestInfo,
): Context {
  return { ...request, prisma, loaders: createLoaders(prisma), checks: crossServiceChecks(peers) };
}

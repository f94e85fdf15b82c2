import type { RequestInfo } from '../../../common/server/subgraph';
import type { PrismaClient } from './prisma';
import { createLoaders, type Loaders } from './loaders';

/** Everything a car resolver may use; built afresh for every request. */
export interface Context extends RequestInfo {
  prisma: PrismaClient;
  loaders: Loaders;
}

export function createContext(prisma: PrismaClient, request: RequestInfo): Context {
  return { ...request, prisma, loaders: createLoaders(prisma) };
}

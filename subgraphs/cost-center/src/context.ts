import { subgraphContext, type ContextDeps, type RequestInfo, type SubgraphContext } from '@car-check/subgraph-kit';
import { createLoaders, type Loaders } from './loaders';
import { crossServiceChecks, type CrossServiceChecks } from './peers';
import type { PrismaClient } from './prisma';

/** Everything a cost-center resolver may use; built afresh for every request. */
export interface Context extends SubgraphContext<PrismaClient, Loaders> {
  checks: CrossServiceChecks;
}

export function createContext({ prisma, peers }: ContextDeps<PrismaClient>, request: RequestInfo): Context {
  return { ...subgraphContext(request, prisma, createLoaders), checks: crossServiceChecks(peers) };
}

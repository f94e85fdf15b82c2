import { subgraphContext, type ContextDeps, type RequestInfo, type SubgraphContext } from '@car-check/subgraph-kit';
import { createLoaders, type Loaders } from './loaders';
import type { PrismaClient } from './prisma';
import type { WebhookServices } from './services';

/** Everything a webhook resolver may use; built afresh for every request. */
export interface Context extends SubgraphContext<PrismaClient, Loaders> {
  services: WebhookServices;
}

export function createContext(
  { prisma, services }: ContextDeps<PrismaClient, WebhookServices>,
  request: RequestInfo,
): Context {
  return { ...subgraphContext(request, prisma, createLoaders), services };
}

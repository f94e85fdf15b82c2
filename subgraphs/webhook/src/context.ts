import type { RequestInfo } from '@car-check/subgraph-kit';
import { createLoaders, type Loaders } from './loaders';
import type { PrismaClient } from './prisma';
import type { WebhookServices } from './services';

/** Everything a webhook resolver may use; built afresh for every request. */
export interface Context extends RequestInfo {
  prisma: PrismaClient;
  loaders: Loaders;
  services: WebhookServices;
}

export function createContext(
  { prisma, services }: { prisma: PrismaClient; services: WebhookServices },
  request: RequestInfo,
): Context {
  return { ...request, prisma, loaders: createLoaders(prisma), services };
}

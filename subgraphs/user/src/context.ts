import { subgraphContext, type ContextDeps, type RequestInfo, type SubgraphContext } from '@car-check/subgraph-kit';
import type { LoginThrottle } from './auth/throttle';
import type { TokenService } from './auth/tokens';
import { createLoaders, type Loaders } from './loaders';
import type { PrismaClient } from './prisma';

/** Parts of the user service that live as long as the process. */
export interface UserServices {
  tokens: TokenService;
  throttle: LoginThrottle;
}

/** Everything a user resolver may use; built afresh for every request. */
export interface Context extends SubgraphContext<PrismaClient, Loaders>, UserServices {}

export function createContext(
  { prisma, services }: ContextDeps<PrismaClient, UserServices>,
  request: RequestInfo,
): Context {
  return { ...subgraphContext(request, prisma, createLoaders), ...services };
}

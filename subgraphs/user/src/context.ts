import type { RequestInfo } from '@car-check/subgraph-kit';
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
export interface Context extends RequestInfo, UserServices {
  prisma: PrismaClient;
  loaders: Loaders;
}

export function createContext(
  { prisma, services }: { prisma: PrismaClient; services: UserServices },
  request: RequestInfo,
): Context {
  return { ...request, ...services, prisma, loaders: createLoaders(prisma) };
}

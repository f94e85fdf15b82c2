import { byIdLoader, historyLoader } from '@car-check/subgraph-kit';
import type { User } from './__generated__/prisma/client';
import type { PrismaClient } from './prisma';

export type Loaders = ReturnType<typeof createLoaders>;

/** Per-request loaders: every lookup of a request shares one batch per kind. */
export function createLoaders(prisma: PrismaClient) {
  return {
    history: historyLoader(prisma),
    userById: byIdLoader<User>((ids) => prisma.user.findMany({ where: { id: { in: [...ids] } } })),
  };
}

import type { Database } from '@car-check/subgraph-kit';
import { PrismaClient } from './__generated__/prisma/client';

export type { PrismaClient };

/** One PrismaClient per process, over the database the subgraph was given. */
export function createPrisma(adapter: Database['adapter']): PrismaClient {
  return new PrismaClient({ adapter });
}

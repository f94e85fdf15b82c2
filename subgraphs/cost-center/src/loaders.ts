import { byIdLoader, byUniqueKeyLoader, groupLoader, historyLoader } from '@car-check/subgraph-kit';
import type { CostCenter } from './__generated__/prisma/client';
import type { PrismaClient } from './prisma';

export type Loaders = ReturnType<typeof createLoaders>;

/** Per-request loaders: every lookup of a request shares one batch per kind. */
export function createLoaders(prisma: PrismaClient) {
  return {
    history: historyLoader(prisma),
    costCenterById: byIdLoader<CostCenter>((ids) => prisma.costCenter.findMany({ where: { id: { in: [...ids] } } })),
    costCenterByCode: byUniqueKeyLoader<CostCenter>(
      (codes) => prisma.costCenter.findMany({ where: { code: { in: [...codes] } } }),
      (row) => row.code,
    ),
    costCentersByManager: groupLoader<CostCenter>(
      (managerIds) =>
        prisma.costCenter.findMany({
          where: { managerId: { in: [...managerIds] } },
          orderBy: [{ code: 'asc' }, { id: 'asc' }],
        }),
      (row) => row.managerId,
    ),
  };
}

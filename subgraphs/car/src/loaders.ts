import { byIdLoader, childPageLoader, historyLoader, type PageRequest } from '@car-check/subgraph-kit';
import type { Car } from './__generated__/prisma/client';
import { carColumns } from './carRow';
import { BY_CREATION } from './order';
import type { PrismaClient } from './prisma';

export type Loaders = ReturnType<typeof createLoaders>;

/** Per-request loaders: every lookup of a request shares one batch per kind. */
export function createLoaders(prisma: PrismaClient) {
  return {
    history: historyLoader(prisma),
    carById: byIdLoader<Car>((ids) => prisma.car.findMany({ where: { id: { in: [...ids] } } })),
    carsOfCostCenter: childPageLoader<Car>({
      order: BY_CREATION,
      rows: (ids, page) => firstRowsPerCostCenter(prisma, ids, page),
      counts: async (ids) => {
        const groups = await prisma.car.groupBy({
          by: ['costCenterId'],
          where: { costCenterId: { in: ids } },
          _count: { _all: true },
        });
        return new Map(groups.map((group) => [group.costCenterId!, group._count._all]));
      },
      parentOf: (car) => car.costCenterId,
    }),
  };
}

/** Up to `first + 1` cars per cost center after the cursor, oldest first, in one statement. */
async function firstRowsPerCostCenter(prisma: PrismaClient, ids: string[], page: PageRequest): Promise<Car[]> {
  const afterAt = page.after ? new Date(page.after.key) : null;
  const afterId = page.after?.id ?? null;
  return prisma.$queryRaw<Car[]>`
    SELECT ${carColumns('ranked')}
    FROM (
      SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.cost_center_id ORDER BY c.created_at, c.id) AS position
      FROM car c
      WHERE c.cost_center_id = ANY(${ids}::uuid[])
        AND (${afterAt}::timestamptz IS NULL OR (c.created_at, c.id) > (${afterAt}::timestamptz, ${afterId}::uuid))
    ) ranked
    WHERE position <= ${page.first + 1}
    ORDER BY ranked.created_at, ranked.id`;
}

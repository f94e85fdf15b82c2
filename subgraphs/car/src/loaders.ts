import { historyLoader } from '../../../common/audit/history';
import { byIdLoader, compositeLoader } from '../../../common/graphql/loaders';
import { toConnection, type Connection, type PageRequest } from '../../../common/graphql/pagination';
import type { Car } from './__generated__/prisma/client';
import { BY_CREATION } from './order';
import type { PrismaClient } from './prisma';

/** A page of one cost center's cars. */
export interface CarsOfCostCenterKey {
  costCenterId: string;
  page: PageRequest;
}

export type Loaders = ReturnType<typeof createLoaders>;

/** Per-request loaders: every lookup of a request shares one batch per kind. */
export function createLoaders(prisma: PrismaClient) {
  return {
    history: historyLoader(prisma),
    carById: byIdLoader<Car>((ids) => prisma.car.findMany({ where: { id: { in: [...ids] } } })),
    carsOfCostCenter: compositeLoader<CarsOfCostCenterKey, Connection<Car>>(
      (keys) => loadCarsOfCostCenters(prisma, keys),
      (key) => JSON.stringify([key.costCenterId, key.page]),
    ),
  };
}

/**
 * Pages of cars for many cost centers at once. Keys asking for the same page
 * shape share one windowed query (ROW_NUMBER per cost center) and one grouped
 * count, so a list of N cost centers costs two statements, not 2N.
 */
async function loadCarsOfCostCenters(
  prisma: PrismaClient,
  keys: readonly CarsOfCostCenterKey[],
): Promise<Connection<Car>[]> {
  const shapes = new Map<string, CarsOfCostCenterKey[]>();
  for (const key of keys) {
    const shape = JSON.stringify(key.page);
    shapes.set(shape, [...(shapes.get(shape) ?? []), key]);
  }
  const results = new Map<CarsOfCostCenterKey, Connection<Car>>();
  for (const group of shapes.values()) {
    const page = group[0]!.page;
    const ids = group.map((key) => key.costCenterId);
    const [rows, counts] = await Promise.all([
      firstRowsPerCostCenter(prisma, ids, page),
      prisma.car.groupBy({ by: ['costCenterId'], where: { costCenterId: { in: ids } }, _count: { _all: true } }),
    ]);
    for (const key of group) {
      const own = rows.filter((row) => row.costCenterId === key.costCenterId);
      const total = counts.find((c) => c.costCenterId === key.costCenterId)?._count._all ?? 0;
      results.set(key, toConnection(own, page, BY_CREATION, total));
    }
  }
  return keys.map((key) => results.get(key)!);
}

interface CarRow {
  id: string;
  brand: string;
  model: string;
  version: string | null;
  cost_center_id: string | null;
  created_at: Date;
  updated_at: Date;
  revision: number;
}

/** Up to `first + 1` cars per cost center after the cursor, oldest first, in one statement. */
async function firstRowsPerCostCenter(prisma: PrismaClient, ids: string[], page: PageRequest): Promise<Car[]> {
  const afterAt = page.after ? new Date(page.after.key) : null;
  const afterId = page.after?.id ?? null;
  const rows = await prisma.$queryRaw<CarRow[]>`
    SELECT id, brand, model, version, cost_center_id, created_at, updated_at, revision
    FROM (
      SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.cost_center_id ORDER BY c.created_at, c.id) AS position
      FROM car c
      WHERE c.cost_center_id = ANY(${ids}::uuid[])
        AND (${afterAt}::timestamptz IS NULL OR (c.created_at, c.id) > (${afterAt}::timestamptz, ${afterId}::uuid))
    ) ranked
    WHERE position <= ${page.first + 1}
    ORDER BY created_at, id`;
  return rows.map((row) => ({
    id: row.id,
    brand: row.brand,
    model: row.model,
    version: row.version,
    costCenterId: row.cost_center_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revision: row.revision,
  }));
}

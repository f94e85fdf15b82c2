import type { Logger } from '@car-check/common';
import { seedCostCenters } from '@car-check/common/demo';
import type { PrismaClient } from './prisma';

/** Upserts the demo fleet's cost centers; running it again changes nothing. */
export async function seed(prisma: PrismaClient, log: Logger): Promise<void> {
  await prisma.$transaction(
    seedCostCenters.map((center) => prisma.costCenter.upsert({ where: { id: center.id }, create: center, update: {} })),
  );
  log.info({ costCenters: seedCostCenters.length }, 'seeded demo cost centers');
}

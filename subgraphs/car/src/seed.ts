import type { Logger } from '@car-check/common';
import { seedCars } from '@car-check/common/demo';
import type { PrismaClient } from './prisma';

/** Upserts the demo fleet's cars; running it again changes nothing. */
export async function seed(prisma: PrismaClient, log: Logger): Promise<void> {
  await prisma.$transaction(
    seedCars.map((car) => prisma.car.upsert({ where: { id: car.id }, create: car, update: {} })),
  );
  log.info({ cars: seedCars.length }, 'seeded demo cars');
}

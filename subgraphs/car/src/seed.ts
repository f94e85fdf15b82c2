import type { Logger } from '../../../common/logging/logger';
import { seedCars } from '../../../common/seed/fleet';
import type { PrismaClient } from './prisma';

/** Upserts the demo fleet's cars; running it again changes nothing. */
export async function seed(prisma: PrismaClient, log: Logger): Promise<void> {
  await prisma.$transaction(
    seedCars.map((car) => prisma.car.upsert({ where: { id: car.id }, create: car, update: {} })),
  );
  log.info({ cars: seedCars.length }, 'seeded demo cars');
}

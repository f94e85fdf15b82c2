import { formatDuration, logProgress, msSince, type Logger } from '@car-check/common';
import { seedCars } from '@car-check/common/demo';
import type { PrismaClient } from './prisma';

/**
 * Inserts the demo fleet's cars that are missing; running it again changes nothing.
 * One statement (INSERT ... ON CONFLICT DO NOTHING): 40 upserts took ~20 times as long,
 * on the first start's critical path.
 */
export async function seed(prisma: PrismaClient, log: Logger): Promise<void> {
  const startedAt = performance.now();
  await prisma.car.createMany({ data: seedCars, skipDuplicates: true });
  const durationMs = msSince(startedAt);
  logProgress(log, { step: 'seed', phase: 'done', durationMs, cars: seedCars.length }, `seeded ${seedCars.length} demo cars in ${formatDuration(durationMs)}`);
}

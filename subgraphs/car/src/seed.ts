import { type Logger } from '@car-check/service-kit';
import { recordCreatedByTool } from '@car-check/events';
import { formatDuration, logProgress, msSince, SEED_TRANSACTION } from '@car-check/subgraph-kit';
import { seedCars } from '@car-check/subgraph-kit/demo';
import type { PrismaClient } from './prisma';

/**
 * Inserts the demo fleet's cars that are missing; running it again changes nothing.
 * One statement (INSERT ... ON CONFLICT DO NOTHING): 40 upserts took ~20 times as long,
 * on the first start's critical path. Each car it created is audited (as the `seed`
 * service), so it is a `car.created` event too: the read models fed by the car events
 * (the report subgraph's) see the demo fleet.
 */
export async function seed(prisma: PrismaClient, log: Logger): Promise<void> {
  const startedAt = performance.now();
  // One creation time per car, a millisecond apart in the fleet's order: one statement would
  // give them all the same, and lists ordered by creation (the default) would fall back to ids.
  const base = Date.now() - seedCars.length;
  const created = await prisma.$transaction(async (tx) => {
    const rows = await tx.car.createManyAndReturn({
      data: seedCars.map((car, index) => ({ ...car, createdAt: new Date(base + index) })),
      skipDuplicates: true,
    });
    for (const row of rows) {
      await recordCreatedByTool(tx, 'seed', { entity: 'Car', id: row.id, revision: row.revision, fields: row });
    }
    return rows.length;
  }, SEED_TRANSACTION);
  const durationMs = msSince(startedAt);
  logProgress(
    log,
    { step: 'seed', phase: 'done', durationMs, cars: seedCars.length, created },
    `seeded ${seedCars.length} demo cars (${created} new) in ${formatDuration(durationMs)}`,
  );
}

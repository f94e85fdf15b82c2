import { type Logger } from '@car-check/service-kit';
import { recordCreatedByTool } from '@car-check/events';
import { formatDuration, logProgress, msSince, SEED_TRANSACTION } from '@car-check/subgraph-kit';
import { seedCostCenters } from '@car-check/subgraph-kit/demo';
import type { PrismaClient } from './prisma';

/**
 * Creates the demo fleet's cost centers that are missing; running it again changes nothing.
 * Each creation is audited (as the `seed` service), so it is a `cost-center.created` event
 * too: the other subgraphs' read models (the car subgraph's replica) see the demo data.
 */
export async function seed(prisma: PrismaClient, log: Logger): Promise<void> {
  const startedAt = performance.now();
  const created = await prisma.$transaction(async (tx) => {
    const existing = await tx.costCenter.findMany({
      where: { id: { in: seedCostCenters.map((center) => center.id) } },
      select: { id: true },
    });
    const known = new Set(existing.map((row) => row.id));
    let count = 0;
    for (const center of seedCostCenters) {
      if (known.has(center.id)) continue;
      const row = await tx.costCenter.create({ data: center });
      await recordCreatedByTool(tx, 'seed', { entity: 'CostCenter', id: row.id, revision: row.revision, fields: row });
      count += 1;
    }
    return count;
  }, SEED_TRANSACTION);
  const durationMs = msSince(startedAt);
  logProgress(
    log,
    { step: 'seed', phase: 'done', durationMs, costCenters: seedCostCenters.length, created },
    `seeded ${seedCostCenters.length} demo cost centers (${created} new) in ${formatDuration(durationMs)}`,
  );
}

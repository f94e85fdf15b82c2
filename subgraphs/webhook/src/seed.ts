import type { Logger } from '@car-check/service-kit';
import type { PrismaClient } from './prisma';

/** No demo endpoints: an endpoint is an integrator's URL, registered through the graph. */
export async function seed(_prisma: PrismaClient, _log: Logger): Promise<void> {}

import type { Logger } from '@car-check/service-kit';
import type { PrismaClient } from './prisma';

/** Nothing to seed: the read model is made of the owners' events, demo data included. */
export async function seed(_prisma: PrismaClient, _log: Logger): Promise<void> {}

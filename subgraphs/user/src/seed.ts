import type { Logger } from '../../../common/logging/logger';
import { seedUsers } from '../../../common/seed/fleet';
import type { PrismaClient } from './prisma';

/** Upserts the demo fleet's users; running it again changes nothing. */
export async function seed(prisma: PrismaClient, log: Logger): Promise<void> {
  await prisma.$transaction(
    seedUsers.map((user) => prisma.user.upsert({ where: { id: user.id }, create: user, update: {} })),
  );
  log.info({ users: seedUsers.length }, 'seeded demo users');
}

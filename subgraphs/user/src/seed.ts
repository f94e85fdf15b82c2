import { type Logger } from '@car-check/service-kit';
import { formatDuration, logProgress, msSince, SEED_TRANSACTION } from '@car-check/subgraph-kit';
import { seedUsers } from '@car-check/subgraph-kit/demo';
import { seedPasswordFromEnv } from './auth/config';
import { hashPassword } from './auth/password';
import type { PrismaClient } from './prisma';

/**
 * Upserts the demo fleet's users, each with the password SEED_PASSWORD
 * (`dev-password` outside production). Running it again changes nothing but
 * the stored hash, which is salted afresh.
 */
export async function seed(prisma: PrismaClient, log: Logger, env: NodeJS.ProcessEnv): Promise<void> {
  const startedAt = performance.now();
  const password = seedPasswordFromEnv(env);
  // Every demo user has the same password, so one salted hash serves them all: scrypt is made
  // to be slow (tens of milliseconds, 32 MiB), and hashing it once per user made the seed the
  // largest part of a demo graph's start.
  const passwordHash = await hashPassword(password);
  const withPasswords = seedUsers.map((user) => ({ ...user, passwordHash }));
  await prisma.$transaction(async (tx) => {
    for (const user of withPasswords) {
      await tx.user.upsert({ where: { id: user.id }, create: user, update: { passwordHash: user.passwordHash } });
    }
  }, SEED_TRANSACTION);
  const durationMs = msSince(startedAt);
  logProgress(
    log,
    { step: 'seed', phase: 'done', durationMs, users: seedUsers.length },
    `seeded ${seedUsers.length} demo users (one password hash) in ${formatDuration(durationMs)}`,
  );
}

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { recordCreatedByTool } from '@car-check/events';
import { hashPassword } from './auth/password';
import type { PrismaClient } from './prisma';

export const bootstrapInput = z.object({
  username: z.string().regex(/^[a-z0-9._-]{3,64}$/, 'lower-case letters, digits, dot, dash or underscore; 3 to 64'),
  email: z.email(),
  password: z.string().min(12, 'at least 12 characters').max(256),
});

export class BootstrapRefused extends Error {
  override readonly name = 'BootstrapRefused';
}

/**
 * A fresh production database's first administrator, created by an operator
 * with a password they chose (never a default). Refused once any active
 * administrator exists: later accounts are made through the graph, by an
 * administrator. The creation is audited like any other, as the `bootstrap`
 * service.
 */
export async function bootstrapAdmin(
  prisma: PrismaClient,
  input: z.infer<typeof bootstrapInput>,
): Promise<{ id: string }> {
  const { username, email, password } = bootstrapInput.parse(input);
  const passwordHash = await hashPassword(password);
  return prisma.$transaction(async (tx) => {
    const admins = await tx.user.count({ where: { isActive: true, groups: { has: 'admin' } } });
    if (admins > 0)
      throw new BootstrapRefused(
        'This database already has an active administrator; create further accounts through the graph.',
      );
    const user = await tx.user.create({ data: { id: randomUUID(), username, email, groups: ['admin'], passwordHash } });
    const fields = { username, email, groups: ['admin'], isActive: true };
    await recordCreatedByTool(tx, 'bootstrap', { entity: 'User', id: user.id, revision: user.revision, fields });
    return { id: user.id };
  });
}

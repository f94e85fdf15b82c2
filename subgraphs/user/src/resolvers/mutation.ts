import { graphError } from '@car-check/service-kit';
import { auditedEntity, parseId, validate } from '@car-check/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { hashPassword, verifyPassword } from '../auth/password';
import type { Context } from '../context';
import { createUserInput, updateUserInput } from '../validation';

// That a password was set or changed is recorded; the hash never is.
const PASSWORD_CHANGED = { field: 'password', from: '"[redacted]"', to: '"[redacted]"' };

/**
 * User writes: each one transaction with its audit record (password hashes are never
 * recorded), its event and the client's Idempotency-Key.
 */
export const users = auditedEntity({
  entity: 'User',
  prisma: (context: Context) => context.prisma,
  model: (tx) => tx.user,
  diff: { secret: ['passwordHash'] },
});

/**
 * A user changing their own password proves they know the current one, so a
 * stolen token cannot take the account over. Guesses count against the same
 * sign-in throttle as `login`.
 */
async function proveCurrentPassword(context: Context, id: string, currentPassword: string | undefined): Promise<void> {
  if (currentPassword === undefined) {
    throw graphError(
      'INVALID_ARGUMENT',
      'Changing your own password needs your current password (`currentPassword`).',
      {
        field: 'input.currentPassword',
      },
    );
  }
  const user = await context.prisma.user.findUnique({ where: { id } });
  const attempt = await context.throttle.reserve(user?.username ?? id, context.caller.clientIp ?? 'unknown');
  if (!user?.passwordHash || !(await verifyPassword(currentPassword, user.passwordHash))) {
    await attempt.failed();
    throw graphError('UNAUTHENTICATED', 'The current password is wrong.', { field: 'input.currentPassword' });
  }
  await attempt.succeeded();
}

/** Passwords never reach the idempotency table, not even hashed: only whether one was given. */
function withoutSecrets<A extends { input: { password?: string | null; currentPassword?: string | null } }>(
  args: A,
): A {
  const { password, currentPassword: _current, ...input } = args.input;
  return { ...args, input: { ...input, ...(password ? { password: '[given]' } : {}) } };
}

export const Mutation: MutationResolvers = {
  createUser: async (_parent, { input }, context, info) => {
    const { password, ...data } = validate(createUserInput, input, 'input');
    const passwordHash = password ? await hashPassword(password) : null;
    return users.create(users.write(context, info, withoutSecrets({ input })), (tx) =>
      tx.user.create({ data: { ...data, passwordHash } }),
    );
  },

  updateUser: async (_parent, args, context, info) => {
    const { caller, tokens } = context;
    const id = parseId(args.id);
    const { expectedRevision, password, currentPassword, ...changes } = validate(updateUserInput, args.input, 'input');
    if (currentPassword !== undefined && password === undefined) {
      throw graphError('INVALID_ARGUMENT', '`currentPassword` goes with a new `password`.', {
        field: 'input.currentPassword',
      });
    }
    if (password !== undefined && caller.userId === id) await proveCurrentPassword(context, id, currentPassword);
    const ownPasswordOnly = caller.userId === id && Object.keys(changes).length === 0;
    if (!caller.scopes.includes('user:write') && !ownPasswordOnly) {
      throw graphError(
        'PERMISSION_DENIED',
        'updateUser needs the user:write scope, except to change your own password.',
      );
    }
    const passwordHash = password ? await hashPassword(password) : undefined;
    return users.update(users.write(context, info, withoutSecrets(args)), {
      id,
      expectedRevision,
      sets: changes,
      data: { ...changes, ...(passwordHash ? { passwordHash } : {}) },
      extraChanges: passwordHash ? [PASSWORD_CHANGED] : [],
      // A new password ends every other session; deactivation ends all of them.
      after: async (tx) => {
        if (passwordHash) await tokens.revokeAll(id, caller.userId === id ? caller.tokenId : null, tx);
        if (changes.isActive === false) await tokens.revokeAll(id, null, tx);
      },
    });
  },

  deleteUser: (_parent, args, context, info) => users.delete(users.write(context, info, args), parseId(args.id)),
};

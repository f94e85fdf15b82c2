import { optimisticUpdate } from '../../../../common/db/optimisticUpdate';
import { graphError } from '../../../../common/errors';
import { withDatabaseErrors } from '../../../../common/errors/database';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { hashPassword } from '../auth/password';
import { createUserInput, updateUserInput } from '../validation';

export const Mutation: MutationResolvers = {
  createUser: async (_parent, { input }, { prisma }) => {
    const { password, ...data } = validate(createUserInput, input, 'input');
    const passwordHash = password ? await hashPassword(password) : null;
    return withDatabaseErrors('User', () => prisma.user.create({ data: { ...data, passwordHash } }));
  },

  updateUser: async (_parent, args, { prisma, caller, tokens }) => {
    const id = parseId(args.id);
    const { expectedRevision, password, ...changes } = validate(updateUserInput, args.input, 'input');
    const ownPasswordOnly = caller.userId === id && Object.keys(changes).length === 0;
    if (!caller.scopes.includes('user:write') && !ownPasswordOnly) {
      throw graphError('PERMISSION_DENIED', 'updateUser needs the user:write scope, except to change your own password.');
    }
    const passwordHash = password ? await hashPassword(password) : undefined;
    return withDatabaseErrors('User', () =>
      prisma.$transaction(async (tx) => {
        const user = await optimisticUpdate({
          entity: 'User',
          id,
          expectedRevision,
          updateWhere: async (revision) =>
            (
              await tx.user.updateMany({
                where: { id, revision },
                data: { ...changes, ...(passwordHash ? { passwordHash } : {}), revision: { increment: 1 } },
              })
            ).count,
          read: () => tx.user.findUnique({ where: { id } }),
        });
        // A new password ends every other session; deactivation ends all of them.
        if (passwordHash) await tokens.revokeAll(id, caller.userId === id ? caller.tokenId : null, tx);
        if (changes.isActive === false) await tokens.revokeAll(id, null, tx);
        return user;
      }),
    );
  },

  deleteUser: async (_parent, args, { prisma }) => {
    const id = parseId(args.id);
    await withDatabaseErrors('User', () => prisma.user.delete({ where: { id }, select: { id: true } }));
    return id;
  },
};

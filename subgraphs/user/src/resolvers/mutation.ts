import { optimisticUpdate } from '../../../../common/db/optimisticUpdate';
import { withDatabaseErrors } from '../../../../common/errors/database';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { createUserInput, updateUserInput } from '../validation';

export const Mutation: MutationResolvers = {
  createUser: async (_parent, { input }, { prisma }) => {
    const data = validate(createUserInput, input, 'input');
    return withDatabaseErrors('User', () => prisma.user.create({ data }));
  },

  updateUser: async (_parent, args, { prisma }) => {
    const id = parseId(args.id);
    const { expectedRevision, ...changes } = validate(updateUserInput, args.input, 'input');
    return withDatabaseErrors('User', () =>
      prisma.$transaction((tx) =>
        optimisticUpdate({
          entity: 'User',
          id,
          expectedRevision,
          updateWhere: async (revision) =>
            (await tx.user.updateMany({ where: { id, revision }, data: { ...changes, revision: { increment: 1 } } })).count,
          read: () => tx.user.findUnique({ where: { id } }),
        }),
      ),
    );
  },

  deleteUser: async (_parent, args, { prisma }) => {
    const id = parseId(args.id);
    await withDatabaseErrors('User', () => prisma.user.delete({ where: { id }, select: { id: true } }));
    return id;
  },
};

import { found } from '@car-check/service-kit';
import { fetchPage, parseId, parseListArgs } from '@car-check/subgraph-kit';
import type { Prisma } from '../__generated__/prisma/client';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { userOrder } from '../order';
import { userFilter, userOrderBy } from '../validation';

export const Query: QueryResolvers = {
  user: (_parent, { id }, { loaders }) => found('User', id, loaders.userById.load(parseId(id))),

  users: async (_parent, args, { prisma }) => {
    const { order, page, filter } = parseListArgs(args, { orderBy: userOrderBy, order: userOrder, filter: userFilter });
    const where: Prisma.UserWhereInput = {
      ...(filter?.isActive != null ? { isActive: filter.isActive } : {}),
      ...(filter?.group ? { groups: { has: filter.group } } : {}),
    };
    return fetchPage(prisma.user, where, order, page);
  },
};

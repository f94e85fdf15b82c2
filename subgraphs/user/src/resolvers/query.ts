import { found } from '../../../../common/errors';
import { afterCursorWhere, orderByClause, parsePage, toConnection } from '../../../../common/graphql/pagination';
import { parseId, validate } from '../../../../common/graphql/validate';
import type { Prisma } from '../__generated__/prisma/client';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { userOrder } from '../order';
import { userFilter } from '../validation';

export const Query: QueryResolvers = {
  user: (_parent, { id }, { loaders }) => found('User', id, loaders.userById.load(parseId(id))),

  users: async (_parent, args, { prisma }) => {
    const order = userOrder(args.orderBy);
    const page = parsePage(args, order);
    const filter = validate(userFilter, args.filter, 'filter');
    const where: Prisma.UserWhereInput = {
      ...(filter?.isActive != null ? { isActive: filter.isActive } : {}),
      ...(filter?.group ? { groups: { has: filter.group } } : {}),
    };
    const pageWhere = page.after ? (afterCursorWhere(order, page.after) as Prisma.UserWhereInput) : {};
    const [rows, totalCount] = await Promise.all([
      prisma.user.findMany({
        where: { AND: [where, pageWhere] },
        orderBy: orderByClause(order) as Prisma.UserOrderByWithRelationInput[],
        take: page.first + 1,
      }),
      prisma.user.count({ where }),
    ]);
    return toConnection(rows, page, order, totalCount);
  },
};
